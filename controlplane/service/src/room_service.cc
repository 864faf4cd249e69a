#include "mgw/service/room_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "mgw/service/service_error.h"
#include "mgw/storage/secret_token.h"
#include "mgw/storage/transaction.h"

namespace mgw::service {
namespace {

constexpr std::string_view kPinRequired = "/problems/pin-required";
constexpr std::string_view kWrongPin = "/problems/wrong-pin";
constexpr std::string_view kPinLockedOut = "/problems/pin-locked-out";
constexpr std::string_view kParticipantLimit = "/problems/participant-limit";

ServiceError MeetingGone(std::string_view meeting_id) {
  return ServiceError(
      ErrorKind::kConflict, std::string(problem::kMeetingEnded), "Meeting ended",
      fmt::format("meeting {} has ended; INIT again to join the conference", meeting_id));
}

// The lockout that the `lockouts`-th one lasts: base, doubled each time, at most max.
std::chrono::seconds Backoff(const PinLockoutOptions& options, std::int64_t lockouts) {
  std::chrono::seconds backoff = options.base_backoff;
  for (std::int64_t i = 1; i < lockouts && backoff < options.max_backoff; ++i) backoff *= 2;
  return std::min(backoff, options.max_backoff);
}

std::int64_t SecondsUntil(storage::TimePoint now, storage::TimePoint then) {
  const auto left = std::chrono::ceil<std::chrono::seconds>(then - now).count();
  return std::max<std::int64_t>(left, 1);
}

std::string_view WithoutHash(std::string_view pin) {
  return pin.ends_with('#') ? pin.substr(0, pin.size() - 1) : pin;
}

std::optional<storage::ParticipantMedia> OpenParticipation(storage::ParticipantMediaStore& media,
                                                           storage::SqlExecutor& tx,
                                                           std::string_view meeting_id,
                                                           std::int64_t participation_id) {
  for (storage::ParticipantMedia& p : media.ListOpen(tx, meeting_id)) {
    if (p.participation_id == participation_id) return std::move(p);
  }
  return std::nullopt;
}

void RequireStatusAccess(const Caller& caller) {
  RequireScope(caller, storage::ApiKeyScope::kRead);
  if (caller.role != storage::Role::kAdmin) {
    throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                       "only administrators may read the conferences' status");
  }
}

// As the configuration API writes times: ISO 8601, microseconds, no zone (UTC).
std::string IsoTime(storage::TimePoint time) {
  const auto millis = std::chrono::time_point_cast<std::chrono::milliseconds>(time);
  const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(millis);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}000", seconds,
                     static_cast<int>((millis - seconds).count()));
}

}  // namespace

boost::json::object ConferenceStatusToPexipJson(const ConferenceStatus& status) {
  return {{"guests_muted", false},
          {"id", status.live.meeting_id},
          {"is_locked", false},
          {"is_started", status.live.host_present},
          {"name", status.live.name},
          {"resource_uri", fmt::format("{}{}/", kConferenceStatusPath, status.live.meeting_id)},
          {"service_type", status.service_type},
          {"start_time", IsoTime(status.live.started_at)},
          {"tag", status.tag}};
}

boost::json::object ParticipantStatusToPexipJson(const ParticipantStatus& status) {
  const std::string id = std::to_string(status.live.participation_id);
  return {{"call_direction", "in"},
          {"conference", status.live.conference_name},
          {"connect_time", IsoTime(status.live.joined_at)},
          {"display_name", status.live.display_name},
          {"duration", status.duration_seconds},
          {"id", id},
          {"is_muted", false},
          {"protocol", "WebRTC"},
          {"resource_uri", fmt::format("{}{}/", kParticipantStatusPath, id)},
          {"role", status.live.role == "host" ? "chair" : "guest"},
          {"service_type", status.service_type}};
}

bool RoomService::PinMatches(std::string_view pin, std::string_view given) {
  const std::string_view a = WithoutHash(pin);
  const std::string_view b = WithoutHash(given);
  if (a.empty() || a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

RoomAdmission RoomService::Admit(std::string_view alias, std::string_view pin,
                                 std::string_view source_address) {
  struct Outcome {
    std::optional<RoomAdmission> admission;
    bool wrong_pin = false;
    bool locked_now = false;       // this wrong PIN started a lockout
    std::int64_t retry_after = 0;  // locked out: seconds left
  };
  Outcome outcome = storage::InTransaction(db_, [&](storage::Transaction& tx) -> Outcome {
    std::optional<Conference> conference = conferences_.FindByAlias(tx, alias);
    if (!conference || !rooms_.LockConference(tx, conference->id)) {
      throw ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                         fmt::format("no conference has the alias {}", alias));
    }
    const storage::TimePoint now = clock_.Now();
    storage::PinFailures failures = rooms_.LockPinFailures(tx, conference->id, source_address);
    if (failures.locked_until && now < *failures.locked_until) {
      return Outcome{.retry_after = SecondsUntil(now, *failures.locked_until)};
    }
    RoomAdmission admission{.conference_id = conference->id,
                            .conference_name = conference->name,
                            .meeting_id = {},
                            .role = "host",
                            .waits_for_host = false};
    if (conference->pin.empty() || PinMatches(conference->pin, pin)) {
      admission.role = "host";
    } else if (conference->allow_guests && !conference->guest_pin.empty() &&
               PinMatches(conference->guest_pin, pin)) {
      admission.role = "guest";
    } else if (conference->allow_guests && conference->guest_pin.empty() && pin.empty()) {
      admission.role = "guest";
      admission.waits_for_host = true;
    } else if (pin.empty()) {
      throw ServiceError(ErrorKind::kUnauthenticated, std::string(kPinRequired), "PIN required",
                         fmt::format("conference {} needs a PIN", alias));
    } else {
      Outcome wrong{.wrong_pin = true};
      if (++failures.failures >= options_.lockout.max_failures) {
        failures.failures = 0;
        ++failures.lockouts;
        failures.locked_until = now + Backoff(options_.lockout, failures.lockouts);
        wrong.locked_now = true;
        wrong.retry_after = SecondsUntil(now, *failures.locked_until);
      }
      rooms_.SetPinFailures(tx, conference->id, source_address, failures);
      return wrong;  // committed: the failure counts
    }
    rooms_.ClearPinFailures(tx, conference->id, source_address);

    std::optional<storage::Meeting> running;
    if (conference->meeting_id) running = meetings_.Find(tx, *conference->meeting_id);
    if (running && running->state != storage::MeetingState::kEnded) {
      admission.meeting_id = running->id;
    } else {
      std::optional<storage::DataplaneNode> node = nodes_.LeastLoaded(tx);
      if (!node) {
        throw ServiceError(ErrorKind::kUnavailable, std::string(problem::kUnavailable),
                           "No media node", "no dataplane node is up to run the conference");
      }
      admission.meeting_id = storage::GenerateToken(16);
      rooms_.CreateMeeting(tx, admission.meeting_id, node->id, conference->name);
      conference_store_.SetMeeting(tx, conference->id, admission.meeting_id);
    }
    return Outcome{.admission = std::move(admission)};
  });
  if (outcome.admission) return *std::move(outcome.admission);
  if (outcome.wrong_pin) {
    if (on_refusal_) on_refusal_("wrong_pin");
    ServiceError error(ErrorKind::kForbidden, std::string(kWrongPin), "Wrong PIN",
                       outcome.locked_now
                           ? fmt::format("wrong PIN; too many wrong PINs from {}: locked out for "
                                         "{} s",
                                         source_address, outcome.retry_after)
                           : std::string("wrong PIN"));
    if (outcome.locked_now) error.WithRetryAfter(outcome.retry_after);
    throw error;
  }
  if (on_refusal_) on_refusal_("locked_out");
  ServiceError error(ErrorKind::kRateLimited, std::string(kPinLockedOut), "Locked out",
                     fmt::format("too many wrong PINs from {}; retry after {} s", source_address,
                                 outcome.retry_after));
  error.WithRetryAfter(outcome.retry_after);
  throw error;
}

std::optional<SignallingJoin> RoomService::Join(const RoomAdmission& admission,
                                                std::optional<std::string> display_name, bool srtp,
                                                const SignallingService::ProgramJoin& program,
                                                std::optional<std::uint8_t> rtx_payload_type) {
  const std::string& meeting_id = admission.meeting_id;
  return storage::InTransaction(
      db_, [&](storage::Transaction& tx) -> std::optional<SignallingJoin> {
        if (!meetings_.Lock(tx, meeting_id)) throw MeetingGone(meeting_id);
        std::optional<storage::Meeting> meeting = meetings_.Find(tx, meeting_id);
        if (!meeting || meeting->state == storage::MeetingState::kEnded)
          throw MeetingGone(meeting_id);
        std::optional<Conference> conference = conferences_.Find(tx, admission.conference_id);
        if (!conference || conference->meeting_id != meeting_id) throw MeetingGone(meeting_id);
        if (admission.waits_for_host && !rooms_.HostPresent(tx, meeting_id)) return std::nullopt;
        if (conference->participant_limit &&
            rooms_.CountParticipants(tx, meeting_id) >= *conference->participant_limit) {
          throw ServiceError(ErrorKind::kConflict, std::string(kParticipantLimit),
                             "Conference full",
                             fmt::format("conference {} admits at most {} participants",
                                         conference->name, *conference->participant_limit));
        }
        const std::int64_t id = rooms_.OpenParticipation(
            tx, meeting_id, display_name.value_or(admission.role == "host" ? "Host" : "Guest"),
            admission.role);
        if (meeting->node_id) nodes_.AddParticipants(tx, *meeting->node_id, 1);
        std::optional<storage::ParticipantMedia> self =
            OpenParticipation(media_, tx, meeting_id, id);
        if (!self) throw MeetingGone(meeting_id);
        MeetingView view{*meetings_.Find(tx, meeting_id), std::nullopt};
        if (view.meeting.node_id) view.node = nodes_.Find(tx, *view.meeting.node_id);
        self->media = SignallingService::AllocateMedia(srtp);
        self->media->rtx_payload_type = rtx_payload_type;
        media_.SetMedia(tx, id, *self->media);
        if (program) program(view, *self);
        return SignallingJoin{std::move(view), *self, media_.ListOpen(tx, meeting_id)};
      });
}

std::optional<RoomLeave> RoomService::Leave(std::string_view meeting_id,
                                            std::int64_t participation_id) {
  return storage::InTransaction(db_, [&](storage::Transaction& tx) -> std::optional<RoomLeave> {
    if (!meetings_.Lock(tx, meeting_id)) return std::nullopt;
    std::optional<storage::Meeting> meeting = meetings_.Find(tx, meeting_id);
    std::optional<storage::ParticipantMedia> self =
        OpenParticipation(media_, tx, meeting_id, participation_id);
    if (!meeting || !self) return std::nullopt;
    media_.DropSubscriptions(tx, participation_id);
    rooms_.CloseParticipation(tx, participation_id);
    if (meeting->node_id) nodes_.AddParticipants(tx, *meeting->node_id, -1);
    RoomLeave out{.left = *std::move(self), .meeting_ended = false, .node_id = meeting->node_id};
    // A conference's meeting (no host account) ends with its last participant, as Pexip's does;
    // MeetingStore::End unlinks the conference.
    if (!meeting->host_account_id && rooms_.CountParticipants(tx, meeting_id) == 0) {
      out.meeting_ended = meetings_.End(tx, meeting_id);
    }
    return out;
  });
}

bool RoomService::End(std::string_view meeting_id, const RoomAdmission& admission) {
  if (admission.role != "host") {
    throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                       "only a host may end the conference");
  }
  return storage::InTransaction(db_, [&](storage::Transaction& tx) {
    return meetings_.Lock(tx, meeting_id) && meetings_.End(tx, meeting_id);
  });
}

std::vector<storage::VideoSubscription> RoomService::ChangeFeeds(
    std::string_view meeting_id, std::int64_t participation_id, const FeedChange& change,
    const SignallingService::ProgramFeeds& program) {
  return storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!meetings_.Lock(tx, meeting_id)) throw MeetingGone(meeting_id);
    std::optional<storage::Meeting> meeting = meetings_.Find(tx, meeting_id);
    if (!meeting || meeting->state == storage::MeetingState::kEnded) throw MeetingGone(meeting_id);
    std::optional<storage::ParticipantMedia> self;
    for (storage::ParticipantMedia& p : media_.ListOpen(tx, meeting_id)) {
      if (p.participation_id == participation_id) self = std::move(p);
    }
    if (!self) {
      throw ServiceError(ErrorKind::kConflict, std::string(problem::kNotParticipant),
                         "Not a participant", fmt::format("you are not in meeting {}", meeting_id));
    }
    return ApplyFeedChange(media_, tx, meeting_id, *self, change, program);
  });
}

std::vector<ConferenceStatus> RoomService::ConferenceStatuses(
    const Caller& caller, std::optional<std::string> meeting_id) {
  RequireStatusAccess(caller);
  std::vector<ConferenceStatus> out;
  for (storage::LiveConference& live : rooms_.LiveConferences(db_, std::move(meeting_id))) {
    std::optional<Conference> conference = conferences_.Find(db_, live.conference_id);
    if (!conference) continue;  // deleted in between
    out.push_back(ConferenceStatus{
        .live = std::move(live), .service_type = conference->service_type, .tag = conference->tag});
  }
  return out;
}

std::vector<ParticipantStatus> RoomService::ParticipantStatuses(
    const Caller& caller, std::optional<std::int64_t> participant_id) {
  RequireStatusAccess(caller);
  std::vector<ParticipantStatus> out;
  const storage::TimePoint now = clock_.Now();
  for (storage::LiveParticipant& live : rooms_.LiveParticipants(db_, participant_id)) {
    std::optional<Conference> conference = conferences_.Find(db_, live.conference_id);
    if (!conference) continue;
    const std::int64_t duration = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(now - live.joined_at).count());
    out.push_back(ParticipantStatus{.live = std::move(live),
                                    .service_type = conference->service_type,
                                    .duration_seconds = duration});
  }
  return out;
}

}  // namespace mgw::service
