#pragma once

// The one entry point into the dpdk backend that needs no DPDK headers, so that the factory (built
// without DPDK's compile flags) can call it.

#include "mgw/io/backend_config.h"
#include "mgw/io/backend_factory.h"

namespace mgw::io {

BackendResult CreateDpdkBackend(const BackendConfig& config);

}  // namespace mgw::io
