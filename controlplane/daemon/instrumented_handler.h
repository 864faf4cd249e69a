#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "mgw/common/http_server.h"
#include "mgw/common/metrics.h"

namespace mgw::controlplane {

// Wraps the daemon's handler: per-route request counts (by status) and latencies, and an
// X-Request-Id on every response (the client's, when it sent a sane one). The route label comes
// from `route_of`, which must return a bounded set (route templates, never raw paths), so a
// client cannot grow the metrics without limit by inventing paths.
class InstrumentedHandler {
 public:
  using RouteOf = std::function<std::string(const http::Request&)>;

  InstrumentedHandler(metrics::Registry& registry, RouteOf route_of, http::Handler inner);

  http::Response operator()(const http::Request& request);

 private:
  // The children of one (route, status): found once per thread, then reused, because the
  // families' lookups lock and build label strings on every call.
  struct Children {
    metrics::Counter* requests;
    metrics::Histogram* latency;
  };
  Children ChildrenFor(const std::string& route, int status);

  const std::uint64_t id_;  // tells this handler's cached children from another's
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& latency_;
  RouteOf route_of_;
  http::Handler inner_;
};

}  // namespace mgw::controlplane
