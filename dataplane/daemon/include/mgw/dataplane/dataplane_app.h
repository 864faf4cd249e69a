#pragma once

#include "mgw/common/config.h"
#include "mgw/common/daemon.h"

namespace mgw::dataplane {

// mgw-dataplane: opens the configured packet backend, starts one worker per queue, serves the
// control socket and /healthz, /readyz, /metrics until shutdown is requested.
int RunDataplane(const config::Config& config, daemon::Shutdown& shutdown);

}  // namespace mgw::dataplane
