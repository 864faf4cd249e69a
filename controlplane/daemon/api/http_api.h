#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "idempotency_guard.h"
#include "mgw/common/http_server.h"
#include "mgw/service/caller.h"
#include "mgw/service/request_rate_limiter.h"
#include "mgw/service/services.h"
#include "mgw/storage/idempotency_store.h"
#include "router.h"

namespace mgw::controlplane {

// The HTTP API (api/openapi.yaml): routes as thin adapters that read the request strictly, call
// one service function and write its result as JSON. Around every route: authentication (all
// but sign-up and login), Idempotency-Key on authenticated POSTs, and errors as problem+json.
// Thread-safe: it holds only the services and the route table, fixed at construction.
class HttpApi {
 public:
  explicit HttpApi(service::Services& services);

  // The response, or nothing when no route's template matches the path (the caller then tries
  // the admin endpoints, else answers 404).
  std::optional<http::Response> Handle(const http::Request& request) const;
  // The route template for metrics ("/meeting/{meeting_id}"), or nothing when none matches.
  std::optional<std::string> RouteOf(const http::Request& request) const;

  // Per-caller request limits (controlplane.rate_limit.*): past them a route answers 429
  // /problems/rate-limited with Retry-After. The caller is the account for authenticated routes,
  // the source address for the others. Set before serving; none by default.
  void SetRateLimits(const service::RequestRateLimits& limits) {
    limiter_ = std::make_unique<service::RequestRateLimiter>(limits);
  }
  // The limiter set above (nullptr when none), shared with the Pexip API so a caller has one
  // budget whichever routes it uses.
  service::RequestRateLimiter* rate_limiter() const { return limiter_.get(); }

  // Called after POST /meeting/end/{id} or DELETE /meeting/{id} succeeded, with the node the
  // meeting was placed on: signalling tells the meeting's sockets (END, then close) and the
  // dataplane forgets it, as for END over signalling. Set before serving.
  using MeetingClosedHook =
      std::function<void(const std::string& meeting_id, const std::optional<std::string>& node)>;
  void SetMeetingClosedHook(MeetingClosedHook hook) { meeting_closed_ = std::move(hook); }

 private:
  struct Context {
    const http::Request& request;
    std::vector<std::string> params;
    std::optional<service::Caller> caller;  // set on authenticated routes
  };
  struct Handler {
    bool authenticated = true;
    std::function<http::Response(Context&)> run;
  };

  void AddRoutes();
  void Add(std::string method, std::string pattern, bool authenticated,
           std::function<http::Response(Context&)> run);
  // Throws ServiceError kRateLimited when `key` is over its limit.
  void Throttle(const std::string& key) const;
  http::Response Dispatch(const Router<Handler>::Match& match, const http::Request& request) const;

  service::Services& services_;
  storage::IdempotencyStore idempotency_store_;
  IdempotencyGuard idempotency_;
  Router<Handler> router_;
  std::unique_ptr<service::RequestRateLimiter> limiter_;
  MeetingClosedHook meeting_closed_;
};

}  // namespace mgw::controlplane
