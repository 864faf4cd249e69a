#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/service/conference_service.h"
#include "mgw/service/signalling_service.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/conference_store.h"
#include "mgw/storage/database.h"
#include "mgw/storage/dataplane_node_store.h"
#include "mgw/storage/meeting_store.h"
#include "mgw/storage/participant_media_store.h"
#include "mgw/storage/room_store.h"

namespace mgw::service {

// conferences.pin_lockout.*: wrong PINs per conference and source address. After
// `max_failures` wrong PINs the source is refused, even with the right PIN, for `base_backoff`,
// doubling with each further lockout up to `max_backoff`.
struct PinLockoutOptions {
  std::int64_t max_failures = 5;
  std::chrono::seconds base_backoff{30};
  std::chrono::seconds max_backoff{3600};
};

struct RoomOptions {
  PinLockoutOptions lockout;
};

// A socket admitted to a conference by alias and PIN (INIT): who it is there, and the meeting
// that runs the conference now.
struct RoomAdmission {
  std::int64_t conference_id = 0;
  std::string conference_name;
  std::string meeting_id;
  std::string role;             // host, guest
  bool waits_for_host = false;  // a guest admitted without a PIN: joins once a host is in
};

// The status API's view of a conference and a participant (Pexip's status resources).
struct ConferenceStatus {
  storage::LiveConference live;
  std::string service_type;
  std::string tag;
};

struct ParticipantStatus {
  storage::LiveParticipant live;
  std::string service_type;
  std::int64_t duration_seconds = 0;  // since it joined
};

// What a participation leaving a conference's meeting did.
struct RoomLeave {
  storage::ParticipantMedia left;
  bool meeting_ended = false;  // it was the last one: the meeting ended, the conference unlinked
  std::optional<std::string> node_id;
};

// Conferences as rooms: joining by alias and PIN without an account (Pexip's participants), the
// wrong-PIN lockout, and the live state the status API reads. Participations opened here have no
// account; the socket holds their id. Every change runs in one transaction holding the meeting's
// (or the conference's) row lock, with the dataplane programmed inside it, as SignallingService
// does. Thread-safe; throws ServiceError.
class RoomService {
 public:
  using RefusalHook = std::function<void(std::string_view reason)>;

  RoomService(storage::Database& db, const storage::Clock& clock, storage::RoomStore& rooms,
              storage::ConferenceStore& conference_store, ConferenceService& conferences,
              storage::MeetingStore& meetings, storage::DataplaneNodeStore& nodes,
              storage::ParticipantMediaStore& media, RoomOptions options)
      : db_(db),
        clock_(clock),
        rooms_(rooms),
        conference_store_(conference_store),
        conferences_(conferences),
        meetings_(meetings),
        nodes_(nodes),
        media_(media),
        options_(options) {}

  // Resolves `alias` (any alias of the conference), checks `pin` (a trailing '#' optional) and
  // the lockout of `source_address`, and creates the conference's meeting on the least-loaded
  // node, or reuses the one running. Refusals: kNotFound (no such alias), kUnauthenticated
  // /problems/pin-required (no PIN where one is needed), kForbidden /problems/wrong-pin (counted),
  // kRateLimited /problems/pin-locked-out with retry-after, kUnavailable (no node up).
  RoomAdmission Admit(std::string_view alias, std::string_view pin,
                      std::string_view source_address);
  // Opens the participation and allocates its media (`rtx_payload_type`: the client speaks
  // RFC 4588 with it); `program` runs inside the transaction.
  // None when the admission waits for a host and none is in. kConflict
  // /problems/participant-limit past the conference's participant_limit, /problems/meeting-ended
  // when the meeting ended since INIT.
  std::optional<SignallingJoin> Join(const RoomAdmission& admission,
                                     std::optional<std::string> display_name, bool srtp,
                                     const SignallingService::ProgramJoin& program,
                                     std::optional<std::uint8_t> rtx_payload_type = std::nullopt);
  // Closes the participation and drops its subscriptions; the last one out ends the meeting.
  std::optional<RoomLeave> Leave(std::string_view meeting_id, std::int64_t participation_id);
  // A host ends the conference's meeting (END): true when it was active. kForbidden for a guest.
  bool End(std::string_view meeting_id, const RoomAdmission& admission);
  // SignallingService::ChangeFeeds for a participation without an account.
  std::vector<storage::VideoSubscription> ChangeFeeds(
      std::string_view meeting_id, std::int64_t participation_id, const FeedChange& change,
      const SignallingService::ProgramFeeds& program);

  // The status API: read by an administrator (read scope), from the database.
  // `meeting_id`: the one conference that meeting runs (Pexip's conference instance id).
  std::vector<ConferenceStatus> ConferenceStatuses(const Caller& caller,
                                                   std::optional<std::string> meeting_id);
  std::vector<ParticipantStatus> ParticipantStatuses(const Caller& caller,
                                                     std::optional<std::int64_t> participant_id);

  // Called with "wrong_pin" or "locked_out" for every refused PIN (the daemon's metric).
  void SetRefusalHook(RefusalHook hook) { on_refusal_ = std::move(hook); }

  // Whether `given` opens a conference whose PIN is `pin`: equal digits, the trailing '#' of
  // either optional. Compares in constant time for a given length.
  static bool PinMatches(std::string_view pin, std::string_view given);

 private:
  storage::Database& db_;
  const storage::Clock& clock_;
  storage::RoomStore& rooms_;
  storage::ConferenceStore& conference_store_;
  ConferenceService& conferences_;
  storage::MeetingStore& meetings_;
  storage::DataplaneNodeStore& nodes_;
  storage::ParticipantMediaStore& media_;
  RoomOptions options_;
  RefusalHook on_refusal_;
};

// Pexip's status resources (/api/admin/status/v1/conference/ and participant/), with the fields mgw
// fills truthfully: ids are strings (the meeting id, the participation id) as Pexip's UUIDs are;
// times ISO 8601 without a zone (UTC); mgw neither locks conferences nor mutes participants.
boost::json::object ConferenceStatusToPexipJson(const ConferenceStatus& status);
boost::json::object ParticipantStatusToPexipJson(const ParticipantStatus& status);
inline constexpr const char* kConferenceStatusPath = "/api/admin/status/v1/conference/";
inline constexpr const char* kParticipantStatusPath = "/api/admin/status/v1/participant/";

}  // namespace mgw::service
