#include "mgw/service/meeting_service.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "mgw/service/service_error.h"
#include "mgw/storage/secret_token.h"
#include "mgw/storage/transaction.h"

namespace mgw::service {
namespace {

ServiceError MeetingNotFound(std::string_view id) {
  return ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                      fmt::format("no meeting {}", id));
}

ServiceError MeetingEnded(std::string_view id) {
  return ServiceError(ErrorKind::kConflict, std::string(problem::kMeetingEnded), "Meeting ended",
                      fmt::format("meeting {} has ended", id));
}

ServiceError InvalidField(const char* field, std::string detail) {
  ServiceError error(ErrorKind::kUnprocessable, std::string(problem::kInvalidField),
                     "Invalid field", std::move(detail));
  error.WithField(field);
  return error;
}

bool IsHost(const Caller& caller, const storage::Meeting& meeting) {
  return meeting.host_account_id && *meeting.host_account_id == caller.account_id;
}

// Ids are random base64url; anything else cannot name a meeting, so it is not worth a query.
bool PlausibleId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

storage::Meeting MeetingService::Require(storage::SqlExecutor& executor,
                                         std::string_view meeting_id) {
  if (!PlausibleId(meeting_id)) throw MeetingNotFound(meeting_id);
  std::optional<storage::Meeting> meeting = meetings_.Find(executor, meeting_id);
  if (!meeting) throw MeetingNotFound(meeting_id);
  return *std::move(meeting);
}

MeetingView MeetingService::ViewOf(storage::SqlExecutor& executor, storage::Meeting meeting) {
  MeetingView view{std::move(meeting), std::nullopt};
  if (view.meeting.node_id) view.node = nodes_.Find(executor, *view.meeting.node_id);
  return view;
}

MeetingView MeetingService::Create(const Caller& caller, const CreateMeetingRequest& request) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (request.title.size() > kMaxTitleLength) {
    throw InvalidField("title", fmt::format("the title is longer than {} bytes", kMaxTitleLength));
  }
  return storage::InTransaction(db_, [&](storage::Transaction& tx) {
    std::optional<storage::DataplaneNode> node = nodes_.LeastLoaded(tx);
    storage::Meeting meeting =
        meetings_.Create(tx, {.id = storage::GenerateToken(16),
                              .host_account_id = caller.account_id,
                              .node_id = node ? std::optional<std::string>(node->id) : std::nullopt,
                              .title = request.title});
    return MeetingView{std::move(meeting), std::move(node)};
  });
}

MeetingView MeetingService::Get(const Caller& caller, std::string_view meeting_id) {
  RequireScope(caller, storage::ApiKeyScope::kRead);
  if (!PlausibleId(meeting_id)) throw MeetingNotFound(meeting_id);
  if (caches_ == nullptr || !caches_->meetings.enabled()) {
    // The meeting and its node in one read: the hottest route, one round trip on PostgreSQL.
    std::optional<storage::MeetingWithNode> found = meetings_.FindWithNode(db_, meeting_id);
    if (!found) throw MeetingNotFound(meeting_id);
    return MeetingView{std::move(found->meeting), std::move(found->node)};
  }
  if (std::optional<storage::Meeting> meeting = caches_->meetings.Find(meeting_id)) {
    if (!meeting->node_id) return MeetingView{*std::move(meeting), std::nullopt};
    if (std::optional<storage::DataplaneNode> node = caches_->nodes.Find(*meeting->node_id)) {
      return MeetingView{*std::move(meeting), std::move(node)};
    }
  }
  // Tickets before the read: a write committed meanwhile keeps what was read out of the caches.
  const auto meeting_ticket = caches_->meetings.TicketFor(meeting_id);
  const auto node_ticket = caches_->nodes.TicketFor("");  // one shard: any key
  std::optional<storage::MeetingWithNode> found = meetings_.FindWithNode(db_, meeting_id);
  if (!found) throw MeetingNotFound(meeting_id);
  caches_->meetings.Insert(std::string(meeting_id), found->meeting, meeting_ticket);
  if (found->node) caches_->nodes.Insert(found->node->id, *found->node, node_ticket);
  return MeetingView{std::move(found->meeting), std::move(found->node)};
}

Page<MeetingView> MeetingService::List(const Caller& caller, const PageRequest& page) {
  RequireScope(caller, storage::ApiKeyScope::kRead);
  std::optional<std::int64_t> viewer;
  if (!caller.IsAdmin()) viewer = caller.account_id;
  storage::MeetingPage rows = meetings_.List(viewer, page.limit, page.offset);
  Page<MeetingView> result{{}, rows.total, page.limit, page.offset};
  for (storage::Meeting& meeting : rows.items) {
    result.items.push_back(ViewOf(db_, std::move(meeting)));
  }
  return result;
}

MeetingView MeetingService::Join(const Caller& caller, std::string_view meeting_id,
                                 std::optional<std::string> display_name) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (display_name && (display_name->empty() || display_name->size() > kMaxDisplayNameLength)) {
    throw InvalidField("display_name", fmt::format("the display name must be 1 to {} bytes",
                                                   kMaxDisplayNameLength));
  }
  if (!PlausibleId(meeting_id)) throw MeetingNotFound(meeting_id);
  return storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!meetings_.Lock(tx, meeting_id)) throw MeetingNotFound(meeting_id);
    storage::Meeting meeting = Require(tx, meeting_id);
    if (meeting.state == storage::MeetingState::kEnded) throw MeetingEnded(meeting_id);
    const bool joined = meetings_.Join(tx, {.meeting_id = meeting.id,
                                            .account_id = caller.account_id,
                                            .display_name = display_name.value_or(caller.email),
                                            .role = IsHost(caller, meeting) ? "host" : "guest"});
    if (joined && meeting.node_id) nodes_.AddParticipants(tx, *meeting.node_id, 1);
    return ViewOf(tx, Require(tx, meeting_id));
  });
}

MeetingView MeetingService::Leave(const Caller& caller, std::string_view meeting_id) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (!PlausibleId(meeting_id)) throw MeetingNotFound(meeting_id);
  return storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!meetings_.Lock(tx, meeting_id)) throw MeetingNotFound(meeting_id);
    storage::Meeting meeting = Require(tx, meeting_id);
    if (!meetings_.Leave(tx, meeting_id, caller.account_id)) {
      throw ServiceError(ErrorKind::kConflict, std::string(problem::kNotParticipant),
                         "Not a participant", fmt::format("you are not in meeting {}", meeting_id));
    }
    if (meeting.node_id) nodes_.AddParticipants(tx, *meeting.node_id, -1);
    return ViewOf(tx, Require(tx, meeting_id));
  });
}

MeetingView MeetingService::End(const Caller& caller, std::string_view meeting_id) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (!PlausibleId(meeting_id)) throw MeetingNotFound(meeting_id);
  return storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!meetings_.Lock(tx, meeting_id)) throw MeetingNotFound(meeting_id);
    storage::Meeting meeting = Require(tx, meeting_id);
    if (!IsHost(caller, meeting)) {
      throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                         "only the host may end the meeting");
    }
    if (meeting.state == storage::MeetingState::kEnded) throw MeetingEnded(meeting_id);
    const std::int64_t open = meeting.participant_count;
    meetings_.End(tx, meeting_id);
    if (meeting.node_id && open > 0) nodes_.AddParticipants(tx, *meeting.node_id, -open);
    return ViewOf(tx, Require(tx, meeting_id));
  });
}

void MeetingService::Delete(const Caller& caller, std::string_view meeting_id) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (!PlausibleId(meeting_id)) throw MeetingNotFound(meeting_id);
  storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!meetings_.Lock(tx, meeting_id)) throw MeetingNotFound(meeting_id);
    storage::Meeting meeting = Require(tx, meeting_id);
    if (!IsHost(caller, meeting) && !caller.IsAdmin()) {
      throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                         "only the host or an administrator may delete the meeting");
    }
    if (meeting.node_id && meeting.participant_count > 0) {
      nodes_.AddParticipants(tx, *meeting.node_id, -meeting.participant_count);
    }
    meetings_.Delete(tx, meeting_id);
  });
}

RecordResult MeetingService::Record(const Caller& caller, std::string_view meeting_id) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (!PlausibleId(meeting_id)) throw MeetingNotFound(meeting_id);
  return storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!meetings_.Lock(tx, meeting_id)) throw MeetingNotFound(meeting_id);
    storage::Meeting meeting = Require(tx, meeting_id);
    if (!IsHost(caller, meeting) &&
        !meetings_.IsOpenParticipant(tx, meeting_id, caller.account_id)) {
      throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                         "only the host or a participant may ask for the recording");
    }
    if (meeting.state == storage::MeetingState::kEnded) throw MeetingEnded(meeting_id);
    RecordResult result;
    result.started = meetings_.MarkRecordingRequested(tx, meeting_id);
    if (result.started) {
      // The recorder is started by whoever works the job queue, so a crash between this commit
      // and the recorder's start loses nothing.
      jobs_.Enqueue(tx, {.kind = "recording.start",
                         .payload = boost::json::serialize(
                             boost::json::object{{"meeting_id", std::string(meeting_id)}})});
    }
    meetings_.AddRecipient(tx, meeting_id, caller.email);
    result.recipient_count = meetings_.CountRecipients(tx, meeting_id);
    result.meeting = ViewOf(tx, Require(tx, meeting_id));
    return result;
  });
}

Page<storage::RecordingRecipient> MeetingService::Recipients(const Caller& caller,
                                                             std::string_view meeting_id,
                                                             const PageRequest& page) {
  RequireScope(caller, storage::ApiKeyScope::kRead);
  storage::Meeting meeting = Require(db_, meeting_id);
  if (!IsHost(caller, meeting) && !caller.IsAdmin() &&
      !meetings_.IsOpenParticipant(db_, meeting_id, caller.account_id)) {
    throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                       "only the host, a participant or an administrator may see the recipients");
  }
  return {meetings_.ListRecipients(meeting_id, page.limit, page.offset),
          meetings_.CountRecipients(db_, meeting_id), page.limit, page.offset};
}

}  // namespace mgw::service
