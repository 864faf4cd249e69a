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
  if (!state.caller && type != "INIT") {
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
  service::SignallingJoin joined;
  try {
    joined = services_.signalling.Join(
        *state.caller, meeting_id, display_name, recorder, srtp,
        [this, &address](const service::MeetingView& view, const storage::ParticipantMedia& self) {
          control::AddParticipant add = AddCommandFor(view.meeting.id, self);
          add.address = address;
          CallDataplane(view.meeting.node_id.value_or(""), add);
        });
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
  std::vector<storage::VideoSubscription> feeds = services_.signalling.ChangeFeeds(
      *state.caller, state.meeting_id, change,
      [this, &state](const storage::ParticipantMedia& subscriber, const service::FeedChange& c) {
        CallDataplane(state.node_id, SwapCommandFor(subscriber.participation_id, c));
      });
  json::object reply = Message(type, state.meeting_id);
  json::array list;
  for (const storage::VideoSubscription& s : feeds) list.push_back(s.publisher_id);
  reply["feeds"] = std::move(list);
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
