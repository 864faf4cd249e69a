#include "signalling/signalling_handler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "mgw/control/control_server.h"
#include "mgw/service/service_error.h"
#include "node/dataplane_programmer.h"

namespace mgw::controlplane {
namespace json = boost::json;
namespace {

json::object Message(std::string_view content_type, std::string_view meeting_id) {
  return json::object{{"content_type", content_type}, {"meeting_id", meeting_id}};
}

json::object UserJson(const storage::ParticipantMedia& p) {
  json::object user{
      {"participant_id", p.participation_id}, {"display_name", p.display_name}, {"role", p.role}};
  if (p.account_id) user["account_id"] = *p.account_id;
  // What subscribers (the recorder above all) receive each stream as: the dataplane keeps the
  // publisher's SSRC on every leg.
  if (p.media && p.role != "recorder") {
    user["audio_ssrc"] = p.media->audio_ssrc;
    user["video_ssrc"] = p.media->video_ssrc;
    // Where subscribers that announced RFC 4588 receive this publisher's retransmissions.
    if (p.media->video_rtx_ssrc != 0) user["video_rtx_ssrc"] = p.media->video_rtx_ssrc;
  }
  return user;
}

json::object MediaJson(const storage::DataplaneNode& node, const storage::MediaAllocation& media) {
  const std::size_t colon = node.media_address.rfind(':');
  json::object out{
      {"address", node.media_address.substr(0, colon)},
      {"port", colon == std::string::npos ? 0 : std::stoi(node.media_address.substr(colon + 1))},
      {"audio_ssrc", media.audio_ssrc},
      {"video_ssrc", media.video_ssrc}};
  if (media.rtx_payload_type && media.video_rtx_ssrc != 0) {
    out["video_rtx_ssrc"] = media.video_rtx_ssrc;
    out["rtx_payload_type"] = *media.rtx_payload_type;
  }
  if (!media.srtp_suite.empty()) {
    out["srtp"] = json::object{
        {"suite", media.srtp_suite}, {"rx_key", media.srtp_rx_key}, {"tx_key", media.srtp_tx_key}};
  }
  return out;
}

std::vector<std::int64_t> Ids(const json::object& message, std::string_view field) {
  std::vector<std::int64_t> ids;
  if (const json::value* list = message.if_contains(field)) {
    for (const json::value& v : list->as_array()) ids.push_back(v.to_number<std::int64_t>());
  }
  return ids;
}

}  // namespace

void SignallingHandler::Broadcast(std::string_view meeting_id, const json::object& message,
                                  const SignallingSession* except, bool close) {
  const std::string text = json::serialize(message);
  for (const auto& session : hub_.SessionsOf(meeting_id, except)) {
    session->Send(text);
    if (close) session->Close();
  }
  if (close) DropWaiting(meeting_id, text);
  if (relay_ != nullptr) {
    try {
      relay_->Broadcast(std::string(meeting_id), text, close);
    } catch (const std::exception& e) {
      spdlog::warn("signalling: relaying {} to the other control planes failed: {}",
                   std::string_view(message.at("content_type").as_string()), e.what());
    }
  }
}

void SignallingHandler::DeliverRelayed(const std::string& meeting_id, const std::string& text,
                                       bool close) {
  for (const auto& session : hub_.SessionsOf(meeting_id)) {
    session->Send(text);
    if (close) session->Close();
  }
  if (close) DropWaiting(meeting_id, text);
  // A host joined through another control plane: guests waiting here may come in.
  if (text.find("\"JOIN\"") != std::string::npos && text.find("\"host\"") != std::string::npos) {
    AdmitWaiting(meeting_id);
  }
}

void SignallingHandler::Resync() {
  for (const std::string& meeting_id : hub_.Meetings()) {
    std::optional<storage::Meeting> meeting = services_.meeting_store.Find(meeting_id);
    if (meeting && meeting->state != storage::MeetingState::kEnded) continue;
    DeliverRelayed(meeting_id, json::serialize(Message("END", meeting_id)), true);
  }
}

json::object SignallingHandler::CallLocalDataplane(const control::Command& command) {
  if (link_ == nullptr) throw std::runtime_error("no local dataplane");
  return link_->Call(command);
}

json::object SignallingHandler::CallDataplane(const std::string& node_id,
                                              const control::Command& command) {
  if (Manages(node_id)) return link_->Call(command);
  if (relay_ == nullptr) {
    throw std::runtime_error(fmt::format("node {} is managed by another control plane", node_id));
  }
  return relay_->Call(node_id, command);
}

void SignallingHandler::SendError(SignallingSession& session, std::string_view meeting_id,
                                  std::string_view reason, std::string_view type,
                                  std::string_view refused) {
  // An id too long for any meeting is not echoed (the ERROR schema bounds it like every other).
  json::object error = Message("ERROR", meeting_id.size() > 64 ? std::string_view() : meeting_id);
  error["reason"] = reason;
  if (!type.empty()) error["type"] = type;
  if (!refused.empty()) error["refused"] = refused;
  session.Send(json::serialize(error));
}

void SignallingHandler::Deny(SignallingSession& session, std::string_view meeting_id,
                             std::string_view reason, std::string_view type) {
  json::object denied = Message("JOIN_DENIED", meeting_id);
  denied["reason"] = reason;
  if (!type.empty()) denied["type"] = type;
  session.Send(json::serialize(denied));
}

void SignallingHandler::OnMessage(SignallingSession& session, std::string_view text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec) {
    return SendError(session, "", fmt::format("malformed JSON: {}", ec.message()),
                     "/problems/malformed-json", "");
  }
  std::string meeting_id;
  std::string type;
  if (parsed.is_object()) {
    const json::object& o = parsed.as_object();
    if (auto* m = o.if_contains("meeting_id"); m && m->is_string()) meeting_id = m->as_string();
    if (auto* t = o.if_contains("content_type"); t && t->is_string()) type = t->as_string();
  }
  if (auto reason = schemas_.Check(parsed)) {
    return SendError(session, meeting_id, *reason, "/problems/schema", type);
  }
  const json::object& message = parsed.as_object();
  SessionState& state = session.state();
  if (!state.caller && !state.room && type != "INIT") {
    SendError(session, meeting_id, "authenticate first: INIT with a token",
              "/problems/unauthenticated", type);
    return session.Close(true);
  }
  try {
    if (type == "INIT") return Init(session, message);
    if (type == "JOIN") return Join(session, message, false);
    if (type == "RECORD_JOIN") return Join(session, message, true);
    if (!state.joined || meeting_id != state.meeting_id) {
      return SendError(session, meeting_id, "not joined to this meeting on this socket",
                       "/problems/not-participant", type);
    }
    if (type == "LEAVE") return Leave(session, true);
    if (type == "END") return End(session);
    if (type == "SUBSCRIBE" || type == "UNSUBSCRIBE" || type == "UNSUB_SUB") {
      return ChangeFeeds(session, message);
    }
    SendError(session, meeting_id, fmt::format("{} is sent by the server only", type),
              "/problems/schema", type);
  } catch (const service::ServiceError& e) {
    SendError(session, meeting_id, e.detail().empty() ? e.title() : e.detail(), e.type(), type);
  } catch (const control::ControlCallError& e) {
    SendError(session, meeting_id, fmt::format("the dataplane refused: {}", e.what()),
              e.error().code == control::ErrorCode::kLimitExceeded
                  ? service::problem::kSubscriptionLimit
                  : std::string_view("/problems/dataplane"),
              type);
  }
}

void SignallingHandler::Init(SignallingSession& session, const json::object& message) {
  if (message.contains("conference")) return InitRoom(session, message);
  if (!message.contains("meeting_id")) {
    return SendError(session, "", "INIT needs meeting_id (with a token) or conference (with a pin)",
                     "/problems/schema", "INIT");
  }
  SessionState& state = session.state();
  const std::string meeting_id(message.at("meeting_id").as_string());
  if (const json::value* token = message.if_contains("token")) {
    try {
      state.caller = services_.authenticator.Authenticate(
          fmt::format("Bearer {}", std::string_view(token->as_string())));
    } catch (const service::ServiceError& e) {
      SendError(session, meeting_id, e.title(), e.type(), "INIT");
      return session.Close(true);
    }
  }
  if (!state.caller) {
    SendError(session, meeting_id, "INIT needs a token", "/problems/unauthenticated", "INIT");
    return session.Close(true);
  }
  if (!state.joined) state.meeting_id = meeting_id;
  json::object reply = Message("INIT", meeting_id);
  reply["account_id"] = state.caller->account_id;
  session.Send(json::serialize(reply));
}

void SignallingHandler::Join(SignallingSession& session, const json::object& message,
                             bool recorder) {
  if (session.state().room) return JoinRoom(session, message, recorder);
  SessionState& state = session.state();
  const std::string meeting_id(message.at("meeting_id").as_string());
  if (state.joined) {
    return SendError(session, meeting_id, "this socket has already joined a meeting",
                     "/problems/already-joined", recorder ? "RECORD_JOIN" : "JOIN");
  }
  // The meeting's media runs on the node it was placed on, programmed by that node's control
  // plane: here, or through the relay (PostgreSQL). Without a relay (SQLite: one process) a
  // client that came to the wrong control plane is sent on.
  std::optional<storage::Meeting> meeting = services_.meeting_store.Find(meeting_id);
  if (meeting && !meeting->node_id) {
    return Deny(session, meeting_id,
                "the meeting has no dataplane node (none was up when it was created)",
                service::problem::kUnavailable);
  }
  if (meeting && !CanProgram(*meeting->node_id)) {
    auto node = services_.node_store.Find(services_.db, *meeting->node_id);
    return Deny(session, meeting_id,
                fmt::format("the meeting is placed on another node: connect to {}",
                            node ? node->signalling_url : *meeting->node_id),
                service::problem::kWrongNode);
  }
  std::optional<std::string> display_name;
  if (const json::value* name = message.if_contains("display_name")) {
    display_name = std::string(name->as_string());
  }
  const json::value* encryption = message.if_contains("encryption");
  const bool srtp = encryption == nullptr || encryption->as_string() != "none";
  // A recorder publishes nothing, so the dataplane could never latch its address: it says it.
  std::optional<std::string> address;
  if (const json::value* a = message.if_contains("address")) address = std::string(a->as_string());
  // RFC 4588: the payload type the client sends and receives retransmissions with (not the
  // video's 96 nor the audio's 111).
  std::optional<std::uint8_t> rtx_payload_type;
  if (const json::value* pt = message.if_contains("rtx_payload_type")) {
    rtx_payload_type = static_cast<std::uint8_t>(pt->to_number<std::int64_t>());
    if (*rtx_payload_type == 96 || *rtx_payload_type == 111) {
      return Deny(session, meeting_id,
                  fmt::format("rtx_payload_type {} is taken by video (96) or audio (111)",
                              *rtx_payload_type),
                  service::problem::kInvalidField);
    }
  }
  service::SignallingJoin joined;
  try {
    joined = services_.signalling.Join(
        *state.caller, meeting_id, display_name, recorder, srtp,
        [this](const service::MeetingView& view, const storage::ParticipantMedia& self) {
          // The declared address travels with the media (and so to a restarted dataplane).
          CallDataplane(view.meeting.node_id.value_or(""), AddCommandFor(view.meeting.id, self));
        },
        rtx_payload_type, address);
  } catch (const service::ServiceError& e) {
    return Deny(session, meeting_id, e.detail().empty() ? e.title() : e.detail(), e.type());
  } catch (const control::ControlCallError& e) {
    return Deny(session, meeting_id, fmt::format("the dataplane refused: {}", e.what()),
                "/problems/dataplane");
  } catch (const std::runtime_error& e) {
    return Deny(session, meeting_id, fmt::format("the dataplane is unavailable: {}", e.what()),
                service::problem::kUnavailable);
  }
  state.joined = true;
  state.meeting_id = meeting_id;
  state.participation_id = joined.self.participation_id;
  state.node_id = joined.meeting.meeting.node_id.value_or("");
  hub_.Attach(meeting_id, session.shared_from_this());

  json::object users = Message("MEETING_USERS", meeting_id);
  users["self"] = joined.self.participation_id;
  json::array list;
  for (const storage::ParticipantMedia& p : joined.users) list.push_back(UserJson(p));
  users["users"] = std::move(list);
  users["media"] = MediaJson(*joined.meeting.node, *joined.self.media);
  session.Send(json::serialize(users));

  json::object join = Message("JOIN", meeting_id);
  join["participant"] = UserJson(joined.self);
  Broadcast(meeting_id, join, &session);
}

void SignallingHandler::Leave(SignallingSession& session, bool close) {
  if (session.state().room) return LeaveRoom(session, close);
  SessionState& state = session.state();
  if (!state.joined) return;
  state.joined = false;
  hub_.Detach(state.meeting_id, &session);
  std::optional<storage::ParticipantMedia> left =
      services_.signalling.Leave(*state.caller, state.meeting_id);
  if (left) {
    if (CanProgram(state.node_id)) {
      try {
        CallDataplane(state.node_id,
                      control::RemoveParticipant{DataplaneParticipantId(left->participation_id)});
      } catch (const std::exception& e) {
        // Already gone, or the dataplane restarted and is re-programmed from the database.
        spdlog::debug("signalling: participant.remove: {}", e.what());
      }
    }
    json::object leave = Message("LEAVE", state.meeting_id);
    leave["participant_id"] = left->participation_id;
    Broadcast(state.meeting_id, leave, &session);
  }
  if (close) session.Close();
}

void SignallingHandler::CloseMeeting(const std::string& meeting_id,
                                     const std::optional<std::string>& node_id) {
  if (node_id && CanProgram(*node_id)) {
    try {
      CallDataplane(*node_id, control::RemoveMeeting{meeting_id});
    } catch (const std::exception& e) {
      spdlog::warn("signalling: meeting.remove {}: {}", meeting_id, e.what());
    }
  }
  Broadcast(meeting_id, Message("END", meeting_id), nullptr, true);
}

void SignallingHandler::End(SignallingSession& session) {
  if (session.state().room) return EndRoom(session);
  SessionState& state = session.state();
  const std::string meeting_id = state.meeting_id;
  services_.meetings.End(*state.caller, meeting_id);  // host only: ServiceError otherwise
  if (CanProgram(state.node_id)) {
    try {
      CallDataplane(state.node_id, control::RemoveMeeting{meeting_id});
    } catch (const std::exception& e) {
      spdlog::warn("signalling: meeting.remove {}: {}", meeting_id, e.what());
    }
  }
  // The meeting's participations are closed already, so the sessions' OnClosed leave nothing.
  Broadcast(meeting_id, Message("END", meeting_id), nullptr, true);
}

void SignallingHandler::ChangeFeeds(SignallingSession& session, const json::object& message) {
  SessionState& state = session.state();
  const std::string type(message.at("content_type").as_string());
  service::FeedChange change;
  if (type == "SUBSCRIBE") change.add = Ids(message, "publishers");
  if (type == "UNSUBSCRIBE") change.remove = Ids(message, "publishers");
  if (type == "UNSUB_SUB") {
    change.remove = Ids(message, "unsubscribe");
    change.add = Ids(message, "subscribe");
  }
  change.bitrate_bps = static_cast<std::int64_t>(kDefaultVideoBitrate);
  if (const json::value* bitrate = message.if_contains("bitrate")) {
    change.bitrate_bps = bitrate->to_number<std::int64_t>();
  }
  const auto program = [this, &state](const storage::ParticipantMedia& subscriber,
                                      const service::FeedChange& c) {
    ProgramFeedChange(
        [this, &state](const control::Command& command) {
          return CallDataplane(state.node_id, command);
        },
        subscriber.participation_id, c);
  };
  // A conference's participant (alias and PIN) has no account: its participation id names it.
  std::vector<storage::VideoSubscription> feeds =
      state.room
          ? services_.rooms.ChangeFeeds(state.meeting_id, state.participation_id, change, program)
          : services_.signalling.ChangeFeeds(*state.caller, state.meeting_id, change, program);
  json::object reply = Message(type, state.meeting_id);
  json::array list;
  json::array rtx;
  for (const storage::VideoSubscription& s : feeds) {
    list.push_back(s.publisher_id);
    if (s.rtx) {
      rtx.push_back(json::object{{"participant_id", s.publisher_id},
                                 {"rtx_ssrc", s.rtx->ssrc},
                                 {"rtx_payload_type", s.rtx->payload_type}});
    }
  }
  reply["feeds"] = std::move(list);
  if (!rtx.empty()) reply["feed_rtx"] = std::move(rtx);
  session.Send(json::serialize(reply));
}

void SignallingHandler::NotifyNodeDown(const std::string& node_id) {
  json::object error = Message("ERROR", "");
  error["reason"] =
      fmt::format("the media node {} stopped reporting; media may be interrupted", node_id);
  error["type"] = "/problems/node-down";
  for (const std::string& meeting_id :
       services_.media_store.LiveMeetingsOnNode(services_.db, node_id)) {
    error["meeting_id"] = meeting_id;
    Broadcast(meeting_id, error, nullptr);
  }
}

void SignallingHandler::OnClosed(SignallingSession& session) {
  try {
    Leave(session, false);
  } catch (const std::exception& e) {
    spdlog::warn("signalling: leave on close failed: {}", e.what());
  }
}

}  // namespace mgw::controlplane

// ---- Conferences joined by alias and PIN (issue 6) ----
// The socket has no account: INIT with `conference` and `pin` admits it (RoomService::Admit) and
// binds it to the meeting that runs the conference; its participation id names it afterwards.

namespace mgw::controlplane {

void SignallingHandler::InitRoom(SignallingSession& session, const json::object& message) {
  SessionState& state = session.state();
  const std::string alias(message.at("conference").as_string());
  if (message.contains("meeting_id") || message.contains("token")) {
    return SendError(session, "",
                     "INIT with conference takes a pin, not meeting_id or token: the server "
                     "names the meeting",
                     "/problems/schema", "INIT");
  }
  if (state.joined || state.waiting) {
    return SendError(session, state.meeting_id, "this socket has already joined a meeting",
                     "/problems/already-joined", "INIT");
  }
  std::string pin;
  if (const json::value* p = message.if_contains("pin")) pin = p->as_string();
  try {
    state.room = services_.rooms.Admit(alias, pin, session.remote_address());
  } catch (const service::ServiceError& e) {
    json::object error = Message("ERROR", "");
    error["reason"] = e.detail().empty() ? e.title() : e.detail();
    error["type"] = e.type();
    error["refused"] = "INIT";
    if (e.retry_after_seconds()) error["retry_after"] = *e.retry_after_seconds();
    session.Send(json::serialize(error));
    return session.Close(true);
  }
  state.meeting_id = state.room->meeting_id;
  json::object reply = Message("INIT", state.room->meeting_id);
  reply["conference"] = alias;
  reply["role"] = state.room->role;
  session.Send(json::serialize(reply));
}

void SignallingHandler::JoinRoom(SignallingSession& session, const json::object& message,
                                 bool recorder) {
  SessionState& state = session.state();
  const std::string meeting_id(message.at("meeting_id").as_string());
  const std::string_view type = recorder ? "RECORD_JOIN" : "JOIN";
  if (recorder) {
    return SendError(session, meeting_id,
                     "the recorder joins with an account, not with a conference PIN",
                     service::problem::kForbidden, type);
  }
  if (state.joined || state.waiting) {
    return SendError(session, meeting_id, "this socket has already joined a meeting",
                     "/problems/already-joined", type);
  }
  if (meeting_id != state.room->meeting_id) {
    return Deny(session, meeting_id,
                fmt::format("INIT admitted this socket to meeting {}", state.room->meeting_id),
                service::problem::kForbidden);
  }
  std::optional<storage::Meeting> meeting = services_.meeting_store.Find(meeting_id);
  if (meeting && meeting->node_id && !CanProgram(*meeting->node_id)) {
    auto node = services_.node_store.Find(services_.db, *meeting->node_id);
    return Deny(session, meeting_id,
                fmt::format("the meeting is placed on another node: connect to {}",
                            node ? node->signalling_url : *meeting->node_id),
                service::problem::kWrongNode);
  }
  state.waiting_name.reset();
  if (const json::value* name = message.if_contains("display_name")) {
    state.waiting_name = std::string(name->as_string());
  }
  const json::value* encryption = message.if_contains("encryption");
  state.waiting_srtp = encryption == nullptr || encryption->as_string() != "none";
  state.waiting_rtx.reset();
  if (const json::value* pt = message.if_contains("rtx_payload_type")) {
    state.waiting_rtx = static_cast<std::uint8_t>(pt->to_number<std::int64_t>());
    if (*state.waiting_rtx == 96 || *state.waiting_rtx == 111) {
      return Deny(session, meeting_id,
                  fmt::format("rtx_payload_type {} is taken by video (96) or audio (111)",
                              *state.waiting_rtx),
                  service::problem::kInvalidField);
    }
  }
  // Listed before trying, so a host joining meanwhile admits it rather than missing it.
  state.waiting = true;
  {
    std::lock_guard lock(waiting_mutex_);
    waiting_.emplace(meeting_id, session.shared_from_this());
  }
  if (!CompleteRoomJoin(session)) {
    json::object waiting = Message("WAITING", meeting_id);
    waiting["reason"] = "waiting for a host to join the conference";
    session.Send(json::serialize(waiting));
  }
}

bool SignallingHandler::CompleteRoomJoin(SignallingSession& session) {
  SessionState& state = session.state();
  if (!state.waiting || !state.room) return true;
  const std::string meeting_id = state.room->meeting_id;
  std::optional<service::SignallingJoin> joined;
  try {
    joined = services_.rooms.Join(
        *state.room, state.waiting_name, state.waiting_srtp,
        [this](const service::MeetingView& view, const storage::ParticipantMedia& self) {
          CallDataplane(view.meeting.node_id.value_or(""), AddCommandFor(view.meeting.id, self));
        },
        state.waiting_rtx);
  } catch (const service::ServiceError& e) {
    StopWaiting(session);
    Deny(session, meeting_id, e.detail().empty() ? e.title() : e.detail(), e.type());
    return true;
  } catch (const control::ControlCallError& e) {
    StopWaiting(session);
    Deny(session, meeting_id, fmt::format("the dataplane refused: {}", e.what()),
         "/problems/dataplane");
    return true;
  } catch (const std::runtime_error& e) {
    StopWaiting(session);
    Deny(session, meeting_id, fmt::format("the dataplane is unavailable: {}", e.what()),
         service::problem::kUnavailable);
    return true;
  }
  if (!joined) return false;
  StopWaiting(session);
  state.joined = true;
  state.meeting_id = meeting_id;
  state.participation_id = joined->self.participation_id;
  state.node_id = joined->meeting.meeting.node_id.value_or("");
  hub_.Attach(meeting_id, session.shared_from_this());

  json::object users = Message("MEETING_USERS", meeting_id);
  users["self"] = joined->self.participation_id;
  json::array list;
  for (const storage::ParticipantMedia& p : joined->users) list.push_back(UserJson(p));
  users["users"] = std::move(list);
  users["media"] = MediaJson(*joined->meeting.node, *joined->self.media);
  session.Send(json::serialize(users));

  json::object join = Message("JOIN", meeting_id);
  join["participant"] = UserJson(joined->self);
  Broadcast(meeting_id, join, &session);
  if (joined->self.role == "host") AdmitWaiting(meeting_id);
  return true;
}

void SignallingHandler::AdmitWaiting(const std::string& meeting_id) {
  std::vector<std::shared_ptr<SignallingSession>> waiting;
  {
    std::lock_guard lock(waiting_mutex_);
    auto [begin, end] = waiting_.equal_range(meeting_id);
    for (auto it = begin; it != end; ++it) {
      if (auto session = it->second.lock()) waiting.push_back(std::move(session));
    }
  }
  // Each on its own strand; one that finds no host after all (it left again) keeps waiting.
  for (const auto& session : waiting) {
    session->Post([this, session] {
      try {
        CompleteRoomJoin(*session);
      } catch (const std::exception& e) {
        spdlog::warn("signalling: admitting a waiting guest failed: {}", e.what());
      }
    });
  }
}

void SignallingHandler::StopWaiting(SignallingSession& session) {
  session.state().waiting = false;
  std::lock_guard lock(waiting_mutex_);
  std::erase_if(waiting_, [&session](const auto& entry) {
    auto other = entry.second.lock();
    return !other || other.get() == &session;
  });
}

void SignallingHandler::DropWaiting(std::string_view meeting_id, const std::string& text) {
  std::vector<std::shared_ptr<SignallingSession>> waiting;
  {
    std::lock_guard lock(waiting_mutex_);
    auto [begin, end] = waiting_.equal_range(meeting_id);
    for (auto it = begin; it != end; ++it) {
      if (auto session = it->second.lock()) waiting.push_back(std::move(session));
    }
  }
  for (const auto& session : waiting) {
    session->Send(text);
    session->Close();
  }
}

void SignallingHandler::LeaveRoom(SignallingSession& session, bool close) {
  SessionState& state = session.state();
  if (state.waiting) StopWaiting(session);
  if (!state.joined) return;
  state.joined = false;
  hub_.Detach(state.meeting_id, &session);
  std::optional<service::RoomLeave> left =
      services_.rooms.Leave(state.meeting_id, state.participation_id);
  if (left) {
    if (CanProgram(state.node_id)) {
      try {
        if (left->meeting_ended) {
          CallDataplane(state.node_id, control::RemoveMeeting{state.meeting_id});
        } else {
          CallDataplane(state.node_id, control::RemoveParticipant{
                                           DataplaneParticipantId(left->left.participation_id)});
        }
      } catch (const std::exception& e) {
        spdlog::debug("signalling: removing a conference participant: {}", e.what());
      }
    }
    json::object leave = Message("LEAVE", state.meeting_id);
    leave["participant_id"] = left->left.participation_id;
    Broadcast(state.meeting_id, leave, &session);
    // The last one out ended the conference's meeting: a recorder still in, and guests still
    // waiting, are told and closed.
    if (left->meeting_ended) {
      Broadcast(state.meeting_id, Message("END", state.meeting_id), &session, true);
    }
  }
  if (close) session.Close();
}

void SignallingHandler::EndRoom(SignallingSession& session) {
  SessionState& state = session.state();
  const std::string meeting_id = state.meeting_id;
  services_.rooms.End(meeting_id, *state.room);  // host only: ServiceError otherwise
  if (CanProgram(state.node_id)) {
    try {
      CallDataplane(state.node_id, control::RemoveMeeting{meeting_id});
    } catch (const std::exception& e) {
      spdlog::warn("signalling: meeting.remove {}: {}", meeting_id, e.what());
    }
  }
  Broadcast(meeting_id, Message("END", meeting_id), nullptr, true);
}

}  // namespace mgw::controlplane
