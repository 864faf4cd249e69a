#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/router.h"
#include "mgw/common/http_server.h"
#include "mgw/common/secret.h"
#include "mgw/service/caller.h"
#include "mgw/service/request_rate_limiter.h"
#include "mgw/service/services.h"

namespace mgw::controlplane {

struct PexipApiOptions {
  // HTTP Basic credentials (pexip.username / pexip.password); an empty username disables Basic.
  std::string username;
  Secret password;
  // controlplane.public_url without a trailing '/': the base of Location headers.
  std::string public_url;
};

// Pexip Infinity's management API, as far as conferences go, for control systems written against
// Pexip: /api/admin/configuration/v1/conference/ and conference_alias/ (list and detail, with the
// trailing slashes Pexip requires), Pexip's status codes (POST 201 + Location, PATCH 202, DELETE
// 204, 405 with Allow, 501 for what Pexip has and mgw does not), its list envelope ({meta,
// objects}) and its validation errors ({"conference": {"name": ["..."]}}). Authentication: HTTP
// Basic with the deployment's credentials, or a bearer token or API key as on every other route.
// Thin adapters over service::ConferenceService. Thread-safe: fixed at construction.
class PexipApi {
 public:
  PexipApi(service::Services& services, PexipApiOptions options);

  // The response to a request under /api/admin/, or nothing for any other path.
  std::optional<http::Response> Handle(const http::Request& request) const;
  // The route template for metrics, or nothing outside /api/admin/.
  std::optional<std::string> RouteOf(const http::Request& request) const;
  // The per-caller request limiter (HttpApi's, controlplane.rate_limit.*): every authenticated
  // request takes a token from its caller's bucket (the account for bearer tokens and API keys,
  // "pexip-basic" for the Basic credentials), past it 429 /problems/rate-limited with
  // Retry-After. Set before serving; nullptr (the default): no limit.
  void SetRateLimiter(service::RequestRateLimiter* limiter) { limiter_ = limiter; }

 private:
  struct Context {
    const http::Request& request;
    std::vector<std::string> params;
    service::Caller caller;
  };
  using Run = std::function<http::Response(Context&)>;

  void AddRoutes();
  http::Response Dispatch(const http::Request& request) const;
  service::Caller Authenticate(const http::Request& request) const;
  std::string Absolute(const std::string& resource_uri) const;

  service::Services& services_;
  PexipApiOptions options_;
  Router<Run> router_;
  service::RequestRateLimiter* limiter_ = nullptr;
};

}  // namespace mgw::controlplane
