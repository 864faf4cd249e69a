#pragma once

#include <functional>
#include <string>

#include "mgw/common/http_server.h"
#include "mgw/common/metrics.h"

namespace mgw {

// /healthz (the process is alive: always 200), /readyz (200 when `ready` says so, else 503 with
// its reason) and /metrics (the registry in Prometheus text format). Anything else is 404, and a
// method other than GET or HEAD is 405: both as problem+json.
struct ReadyState {
  bool ready = false;
  std::string reason;  // why not ready
};

class AdminEndpoints {
 public:
  AdminEndpoints(metrics::Registry& registry, std::function<ReadyState()> ready);

  // The response for an admin path, or nullopt when `request` is not for one.
  std::optional<http::Response> Handle(const http::Request& request) const;
  // Handle(), with 404 for any other path: the whole handler of an admin-only server.
  http::Response HandleOrNotFound(const http::Request& request) const;

 private:
  metrics::Registry& registry_;
  std::function<ReadyState()> ready_;
};

}  // namespace mgw
