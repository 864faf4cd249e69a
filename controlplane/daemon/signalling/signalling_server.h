#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "mgw/common/http_server.h"
#include "mgw/service/services.h"
#include "node/dataplane_link.h"
#include "signalling/meeting_hub.h"
#include "signalling/signalling_handler.h"
#include "signalling/signalling_schemas.h"
#include "signalling/signalling_session.h"

namespace mgw::controlplane {

inline constexpr const char* kSignallingPath = "/signalling";

// WebSocket signalling at /signalling: the http::Server's upgrade handler. An upgrade request
// with an Authorization header is authenticated before the handshake (401 and closed when the
// credential is bad); one without must send INIT with a token. Owns every session it accepted,
// so shutdown can drop them before the HTTP server stops.
class SignallingServer {
 public:
  SignallingServer(service::Services& services, DataplaneLink* link, std::string node_id,
                   SessionTimeouts timeouts = {});

  void Accept(std::unique_ptr<http::UpgradeRequest> upgrade);
  void NotifyNodeDown(const std::string& node_id) { handler_.NotifyNodeDown(node_id); }
  void CloseMeeting(const std::string& meeting_id, const std::optional<std::string>& node_id) {
    handler_.CloseMeeting(meeting_id, node_id);
  }
  // For wiring the relay between control planes (PostgreSQL mode; see MeetingRelay).
  SignallingHandler& handler() { return handler_; }
  // Drops every connection; call before http::Server::Stop.
  void CloseAll();

 private:
  void Refuse(http::UpgradeRequest& upgrade, const http::Response& response);

  service::Services& services_;
  SignallingSchemas schemas_;
  MeetingHub hub_;
  SignallingHandler handler_;
  SessionTimeouts timeouts_;
  std::mutex mutex_;
  std::map<const SignallingSession*, std::weak_ptr<SignallingSession>> sessions_;
};

}  // namespace mgw::controlplane
