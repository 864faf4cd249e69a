#include "instrumented_handler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <utility>
#include <vector>

namespace mgw::controlplane {
namespace {

std::atomic<std::uint64_t> next_handler_id{1};

}  // namespace

InstrumentedHandler::InstrumentedHandler(metrics::Registry& registry, RouteOf route_of,
                                         http::Handler inner)
    : id_(next_handler_id.fetch_add(1)),
      requests_(registry.AddCounter("mgw_http_requests_total",
                                    "HTTP requests answered, by route and status.")),
      latency_(registry.AddHistogram("mgw_http_request_duration_seconds",
                                     "Time from request parsed to response ready, by route.",
                                     metrics::Histogram::LatencyBuckets())),
      route_of_(std::move(route_of)),
      inner_(std::move(inner)) {}

http::Response InstrumentedHandler::operator()(const http::Request& request) {
  auto start = std::chrono::steady_clock::now();
  http::Response response;
  try {
    response = inner_(request);
  } catch (const std::exception& e) {
    // Answered here rather than by the server, so even this response carries its request id.
    spdlog::error("http: {} {} failed: {}", request.method, route_of_(request), e.what());
    response = http::Response::Problem(500, "/problems/internal", "Internal server error");
  }
  std::string id(request.Header("x-request-id").value_or(""));
  if (!http::SaneRequestId(id)) id = http::NewRequestId();
  response.headers.emplace_back("x-request-id", std::move(id));
  Children children = ChildrenFor(route_of_(request), response.status);
  children.requests->Inc();
  children.latency->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

InstrumentedHandler::Children InstrumentedHandler::ChildrenFor(const std::string& route,
                                                               int status) {
  struct Entry {
    std::uint64_t handler;
    std::string route;
    int status;
    Children children;
  };
  // Bounded by routes x statuses in use; the children live as long as the registry (families
  // never drop one), and the handler id keeps a later handler from using an earlier one's.
  constexpr std::size_t kMaxEntries = 256;
  thread_local std::vector<Entry> cache;
  for (const Entry& entry : cache) {
    if (entry.handler == id_ && entry.status == status && entry.route == route) {
      return entry.children;
    }
  }
  if (cache.size() >= kMaxEntries) cache.clear();
  Children children{&requests_.WithLabels({{"route", route}, {"status", std::to_string(status)}}),
                    &latency_.WithLabels({{"route", route}})};
  cache.push_back(Entry{id_, route, status, children});
  return children;
}

}  // namespace mgw::controlplane
