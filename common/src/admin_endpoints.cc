#include "mgw/common/admin_endpoints.h"

#include <fmt/format.h>

namespace mgw {

AdminEndpoints::AdminEndpoints(metrics::Registry& registry, std::function<ReadyState()> ready)
    : registry_(registry), ready_(std::move(ready)) {}

std::optional<http::Response> AdminEndpoints::Handle(const http::Request& request) const {
  if (request.path != "/healthz" && request.path != "/readyz" && request.path != "/metrics") {
    return std::nullopt;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response response =
        http::Response::Problem(405, "/problems/method-not-allowed", "Method not allowed",
                                fmt::format("{} accepts GET and HEAD", request.path));
    response.headers.emplace_back("allow", "GET, HEAD");
    return response;
  }
  if (request.path == "/healthz") {
    return http::Response::Json(200, R"({"status":"ok"})");
  }
  if (request.path == "/readyz") {
    ReadyState state = ready_();
    if (state.ready) return http::Response::Json(200, R"({"status":"ready"})");
    return http::Response::Problem(503, "/problems/not-ready", "Not ready", state.reason);
  }
  http::Response response{200, std::string(metrics::kContentType), {}, registry_.Render()};
  return response;
}

http::Response AdminEndpoints::HandleOrNotFound(const http::Request& request) const {
  if (auto response = Handle(request)) return *std::move(response);
  return http::Response::Problem(404, "/problems/not-found", "Not found",
                                 fmt::format("no resource at {}", request.path));
}

}  // namespace mgw
