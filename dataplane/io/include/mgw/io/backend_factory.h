#pragma once

#include <memory>
#include <string>

#include "mgw/io/backend_config.h"
#include "mgw/io/packet_backend.h"

namespace mgw::io {

struct BackendResult {
  std::unique_ptr<PacketBackend> backend;  // null on failure
  std::string error;                       // one line saying why, when backend is null

  explicit operator bool() const { return backend != nullptr; }
};

// Builds the backend `config.kind` names, with every queue opened and ready. Fails with a message
// the daemon can print as is, e.g. "io_uring unavailable (io_uring_queue_init: Operation not
// permitted); use backend=posix". Call from the control thread at start-up.
BackendResult CreatePacketBackend(const BackendConfig& config);

// Whether this build has the dpdk backend (libdpdk was found at configure time).
bool DpdkBackendCompiledIn();

}  // namespace mgw::io
