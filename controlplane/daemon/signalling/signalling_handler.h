#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "mgw/service/services.h"
#include "node/dataplane_link.h"
#include "signalling/meeting_hub.h"
#include "signalling/meeting_relay.h"
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
  // The meeting was ended or deleted outside signalling (the HTTP API): its sockets, on this
  // process and through the relay on the others, get END and are closed, and the dataplane
  // forgets the meeting. Any thread.
  void CloseMeeting(const std::string& meeting_id, const std::optional<std::string>& node_id);
  void SendError(SignallingSession& session, std::string_view meeting_id, std::string_view reason,
                 std::string_view type, std::string_view refused);

  // PostgreSQL mode: other control planes reach this one's sockets and dataplane through `relay`
  // (set before the first connection; none in SQLite mode).
  void SetRelay(MeetingRelay* relay) { relay_ = relay; }
  // A broadcast from another control plane: to this process's sockets of the meeting.
  void DeliverRelayed(const std::string& meeting_id, const std::string& text, bool close);
  // After the relay lost notifications: sockets of meetings that ended meanwhile get END and
  // are closed.
  void Resync();
  bool Manages(const std::string& node_id) const { return link_ != nullptr && node_id == node_id_; }
  boost::json::object CallLocalDataplane(const control::Command& command);

 private:
  void Init(SignallingSession& session, const boost::json::object& message);
  void Join(SignallingSession& session, const boost::json::object& message, bool recorder);
  void Leave(SignallingSession& session, bool close);
  void End(SignallingSession& session);
  void ChangeFeeds(SignallingSession& session, const boost::json::object& message);
  void Deny(SignallingSession& session, std::string_view meeting_id, std::string_view reason,
            std::string_view type);
  // Conferences joined by alias and PIN (the end of signalling_handler.cc): sessions with
  // `state.room` and no caller. A guest that waits for a host is kept in `waiting_` until a host's
  // JOIN (here or relayed) admits it on its own strand.
  void InitRoom(SignallingSession& session, const boost::json::object& message);
  void JoinRoom(SignallingSession& session, const boost::json::object& message, bool recorder);
  // Opens the waiting or joining room participation; false when it must (still) wait.
  bool CompleteRoomJoin(SignallingSession& session);
  void LeaveRoom(SignallingSession& session, bool close);
  void EndRoom(SignallingSession& session);
  void AdmitWaiting(const std::string& meeting_id);
  void StopWaiting(SignallingSession& session);
  // The meeting ended: its waiting guests get `text` (END) and are closed.
  void DropWaiting(std::string_view meeting_id, const std::string& text);
  // Whether this process can program `node_id`: its own dataplane, or any through the relay.
  bool CanProgram(const std::string& node_id) const { return Manages(node_id) || relay_; }
  // Programs the dataplane of `node_id`, here or through the control plane that manages it.
  boost::json::object CallDataplane(const std::string& node_id, const control::Command& command);
  // To every socket of the meeting, here and (through the relay) in the other control planes.
  void Broadcast(std::string_view meeting_id, const boost::json::object& message,
                 const SignallingSession* except, bool close = false);

  service::Services& services_;
  DataplaneLink* link_;  // none when no dataplane is configured
  const SignallingSchemas& schemas_;
  MeetingHub& hub_;
  const std::string node_id_;
  MeetingRelay* relay_ = nullptr;
  std::mutex waiting_mutex_;
  std::multimap<std::string, std::weak_ptr<SignallingSession>, std::less<>> waiting_;
};

}  // namespace mgw::controlplane
