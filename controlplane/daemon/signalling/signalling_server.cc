#include "signalling/signalling_server.h"

#include <boost/beast/http/write.hpp>

#include "mgw/service/service_error.h"

namespace mgw::controlplane {
namespace bhttp = boost::beast::http;

SignallingServer::SignallingServer(service::Services& services, DataplaneLink* link,
                                   std::string node_id, SessionTimeouts timeouts)
    : services_(services),
      handler_(services, link, schemas_, hub_, std::move(node_id)),
      timeouts_(timeouts) {}

void SignallingServer::Refuse(http::UpgradeRequest& upgrade, const http::Response& response) {
  bhttp::response<bhttp::string_body> out(static_cast<bhttp::status>(response.status), 11);
  out.set(bhttp::field::content_type, response.content_type);
  std::string request_id(upgrade.request.Header("x-request-id").value_or(""));
  out.set("X-Request-Id", http::SaneRequestId(request_id) ? request_id : http::NewRequestId());
  out.body() = response.body;
  out.keep_alive(false);
  out.prepare_payload();
  boost::beast::error_code ec;
  // Small and on a fresh connection: written in place rather than through another async hop.
  bhttp::write(upgrade.stream, out, ec);
  upgrade.stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  upgrade.stream.tcp().close();
}

void SignallingServer::Accept(std::unique_ptr<http::UpgradeRequest> upgrade) {
  if (upgrade->request.path != kSignallingPath) {
    return Refuse(*upgrade, http::Response::Problem(404, service::problem::kNotFound, "Not found",
                                                    "WebSocket is served at /signalling"));
  }
  std::optional<service::Caller> caller;
  if (auto authorization = upgrade->request.Header("authorization")) {
    try {
      caller = services_.authenticator.Authenticate(authorization);
    } catch (const service::ServiceError& e) {
      return Refuse(*upgrade, http::Response::Problem(401, e.type(), e.title(), e.detail()));
    }
  }
  auto session = std::make_shared<SignallingSession>(std::move(upgrade), handler_, timeouts_);
  {
    std::lock_guard lock(mutex_);
    // Forget sessions that are gone, so the map stays the size of the live ones.
    std::erase_if(sessions_, [](const auto& entry) { return entry.second.expired(); });
    sessions_[session.get()] = session;
  }
  session->Start(std::move(caller));
}

void SignallingServer::CloseAll() {
  std::lock_guard lock(mutex_);
  for (const auto& [key, weak] : sessions_) {
    if (auto session = weak.lock()) session->Abort();
  }
}

}  // namespace mgw::controlplane
