#include "instrumented_handler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace mgw::controlplane {

InstrumentedHandler::InstrumentedHandler(metrics::Registry& registry, RouteOf route_of,
                                         http::Handler inner)
    : requests_(registry.AddCounter("mgw_http_requests_total",
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
  response.headers.emplace_back("x-request-id", id);
  std::string route = route_of_(request);
  requests_.WithLabels({{"route", route}, {"status", std::to_string(response.status)}}).Inc();
  latency_.WithLabels({{"route", route}})
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

}  // namespace mgw::controlplane
