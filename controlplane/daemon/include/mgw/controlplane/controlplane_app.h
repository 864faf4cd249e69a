#pragma once

#include <memory>

#include "mgw/common/config.h"
#include "mgw/common/daemon.h"

namespace mgw::controlplane {

// mgw-controlplane: opens the database (SQLite or PostgreSQL), brings the schema up to date,
// makes sure an administrator exists, and serves the HTTP API with /healthz, /readyz and
// /metrics until shutdown is requested. Returns the process exit status.
int RunControlplane(const config::Config& config, daemon::Shutdown& shutdown);

}  // namespace mgw::controlplane
