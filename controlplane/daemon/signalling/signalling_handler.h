#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "mgw/service/services.h"
#include "node/dataplane_link.h"
#include "signalling/meeting_hub.h"
#include "signalling/signalling_schemas.h"
#include "signalling/signalling_session.h"

namespace mgw::controlplane {

// The signalling protocol (api/signalling/): checks each message against its schema, then maps
// it onto SignallingService / MeetingService calls and programs the local dataplane through
// `link` inside the same transaction. Runs on each session's strand; holds no per-session state
// of its own (that is SessionState), so one instance serves every socket.
class SignallingHandler {
 public:
  SignallingHandler(service::Services& services, DataplaneLink* link,
                    const SignallingSchemas& schemas, MeetingHub& hub, std::string node_id)
      : services_(services),
        link_(link),
        schemas_(schemas),
        hub_(hub),
        node_id_(std::move(node_id)) {}

  void OnMessage(SignallingSession& session, std::string_view text);
  // The socket is gone (closed by either side, or dropped for not answering pings): a joined
  // participant leaves, as if it had sent LEAVE.
  void OnClosed(SignallingSession& session);
  // Tells every socket of this process in a meeting placed on `node_id` that the node went
  // down (ERROR, /problems/node-down); the sessions stay open.
  void NotifyNodeDown(const std::string& node_id);
  void SendError(SignallingSession& session, std::string_view meeting_id, std::string_view reason,
                 std::string_view type, std::string_view refused);

 private:
  void Init(SignallingSession& session, const boost::json::object& message);
  void Join(SignallingSession& session, const boost::json::object& message, bool recorder);
  void Leave(SignallingSession& session, bool close);
  void End(SignallingSession& session);
  void ChangeFeeds(SignallingSession& session, const boost::json::object& message);
  void Deny(SignallingSession& session, std::string_view meeting_id, std::string_view reason,
            std::string_view type);

  service::Services& services_;
  DataplaneLink* link_;  // none when no dataplane is configured
  const SignallingSchemas& schemas_;
  MeetingHub& hub_;
  const std::string node_id_;
};

}  // namespace mgw::controlplane
