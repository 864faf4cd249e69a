#include "mgw/io/backend_factory.h"

#include "posix_backend.h"
#include "uring_backend.h"
#if MGW_HAVE_DPDK
#include "dpdk/create_dpdk_backend.h"
#endif

namespace mgw::io {
namespace {

std::string CheckCommon(const BackendConfig& config) {
  if (config.queues == 0) return "queues must be at least 1";
  if (config.local.address.family == IpFamily::kNone) return "no local address configured";
  if (config.kind != BackendKind::kDpdk) {
    if (config.packets_per_queue < kBurstSize) return "packets_per_queue must be at least 32";
    if (config.headroom + 64 > config.buffer_size) {
      return "buffer_size must exceed headroom by at least 64 bytes";
    }
  }
  return "";
}

}  // namespace

BackendResult CreatePacketBackend(const BackendConfig& config) {
  if (std::string error = CheckCommon(config); !error.empty()) {
    return {nullptr, std::string(BackendKindName(config.kind)) + " backend: " + error};
  }
  switch (config.kind) {
    case BackendKind::kPosix:
      return PosixBackend::Create(config);
    case BackendKind::kUring:
      return UringBackend::Create(config);
    case BackendKind::kDpdk:
#if MGW_HAVE_DPDK
      return CreateDpdkBackend(config);
#else
      return {nullptr,
              "dpdk backend not compiled in (libdpdk was not found at build time); use "
              "backend=uring or backend=posix"};
#endif
  }
  return {nullptr, "unknown backend kind"};
}

bool DpdkBackendCompiledIn() { return MGW_HAVE_DPDK != 0; }

}  // namespace mgw::io
