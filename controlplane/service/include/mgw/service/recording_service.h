#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/common/secret.h"
#include "mgw/service/caller.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/database.h"
#include "mgw/storage/dataplane_node_store.h"
#include "mgw/storage/job_store.h"
#include "mgw/storage/meeting_store.h"
#include "mgw/storage/recording_store.h"
#include "mgw/storage/token_store.h"

namespace mgw::service {

class JobRunner;

inline constexpr std::string_view kRecordingStartJobKind = "recording.start";
inline constexpr std::string_view kRecordingDeleteMeetingJobKind = "recording.delete_meeting";
// The account the recorder joins meetings as (an administrator: RECORD_JOIN needs the host or
// an administrator). Created on the first claim; it has no usable password.
inline constexpr std::string_view kRecorderAccountEmail = "recorder@mgw.invalid";

struct RecordingOptions {
  Secret recorder_secret;  // what a recorder sends as "Authorization: Bearer ..."; empty: none
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
  std::chrono::milliseconds token_ttl{std::chrono::hours(24)};  // the signalling token
  std::string webhook_url;  // "recording.ready" goes there when set
};

struct RecordingClaim {
  storage::RecordingRow recording;
  std::string token;     // bearer token of the recorder account, for signalling (INIT)
  bool resumed = false;  // claimed again after a lease expired: the file may exist already
  bool meeting_active = false;
};

// The control plane's side of recordings (api/openapi.yaml, tag recordings): the work queue of
// mgw-recorder (claim with a lease, report progress, complete or fail), the reads an
// administrator makes, and the jobs that follow a completion. Completion enqueues, in one
// transaction with the row's change: a "webhook.deliver" to `webhook_url`, an "email.send" per
// recipient (both with the time-limited link) and a "recording.delete_meeting". Thread-safe;
// throws ServiceError.
class RecordingService {
 public:
  RecordingService(storage::Database& db, const storage::Clock& clock,
                   storage::RecordingStore& recordings, storage::MeetingStore& meetings,
                   storage::DataplaneNodeStore& nodes, storage::AccountStore& accounts,
                   storage::TokenStore& tokens, storage::JobStore& jobs,
                   RecordingOptions options = {})
      : db_(db),
        clock_(clock),
        recordings_(recordings),
        meetings_(meetings),
        nodes_(nodes),
        accounts_(accounts),
        tokens_(tokens),
        jobs_(jobs),
        options_(std::move(options)) {}

  void SetOptions(RecordingOptions options) { options_ = std::move(options); }
  const RecordingOptions& options() const { return options_; }

  // `authorization` must be "Bearer <recorder secret>"; kUnauthenticated otherwise (and always
  // when no secret is configured).
  void RequireRecorder(std::optional<std::string_view> authorization) const;

  // The next recording to work on, or none. A recording whose meeting is gone or ended before
  // any recorder started it fails here ("the meeting ended before the recorder joined").
  std::optional<RecordingClaim> Claim(std::string_view recorder);
  // Progress of claim `claims`: `state` is recording or uploading; renews the lease.
  // kConflict (/problems/lease-lost) when the claim is not current.
  storage::RecordingRow Report(std::int64_t id, int claims, storage::RecordingState state,
                               std::optional<std::string> file_name);
  storage::RecordingRow Complete(std::int64_t id, int claims,
                                 const storage::RecordingResult& result);
  storage::RecordingRow Fail(std::int64_t id, int claims, std::string_view error);

  // Administrators only.
  storage::RecordingRow Get(const Caller& caller, std::int64_t id);
  std::vector<storage::RecordingRow> List(const Caller& caller, std::size_t limit,
                                          std::optional<std::int64_t> before_id);

  // Job bodies (idempotent).
  void OnStartJob(std::string_view meeting_id);
  // Deletes the meeting as DELETE /meeting/{id} does; nothing when it is gone already.
  void DeleteMeeting(std::string_view meeting_id);

 private:
  std::int64_t RecorderAccountId();
  storage::RecordingRow Require(std::int64_t id);
  [[noreturn]] void LeaseLost(std::int64_t id);

  storage::Database& db_;
  const storage::Clock& clock_;
  storage::RecordingStore& recordings_;
  storage::MeetingStore& meetings_;
  storage::DataplaneNodeStore& nodes_;
  storage::AccountStore& accounts_;
  storage::TokenStore& tokens_;
  storage::JobStore& jobs_;
  RecordingOptions options_;
  std::mutex account_mutex_;
  std::optional<std::int64_t> recorder_account_id_;
};

// Registers "recording.start" and "recording.delete_meeting" on `runner` (before Start()).
void RegisterRecordingHandlers(JobRunner& runner, RecordingService& recordings);

}  // namespace mgw::service
