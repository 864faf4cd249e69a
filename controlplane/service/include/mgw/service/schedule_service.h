#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/service/caller.h"
#include "mgw/service/conference_service.h"
#include "mgw/service/job_runner.h"
#include "mgw/service/join_link.h"
#include "mgw/service/page.h"
#include "mgw/storage/alias_number_store.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/job_store.h"
#include "mgw/storage/schedule_store.h"

namespace mgw::service {

// The job kinds of the scheduled-conference lifecycle; payloads are {"schedule_id": N}, and {}
// for the cleanup.
inline constexpr std::string_view kScheduleCreateJobKind = "schedule.create";
inline constexpr std::string_view kScheduleNotifyJobKind = "schedule.notify";
inline constexpr std::string_view kScheduleCleanupJobKind = "schedule.cleanup";

// Webhook events (and the email's subject line) of the messages participants are sent.
inline constexpr std::string_view kInvitationEvent = "schedule.invitation";
inline constexpr std::string_view kUpdatedEvent = "schedule.updated";
inline constexpr std::string_view kCancelledEvent = "schedule.cancelled";

// The failpoint of the crash test: with MGW_TEST_FAILPOINT set to this, the process SIGKILLs
// itself after the creation job's transaction committed and before the job is completed.
inline constexpr std::string_view kCreateCommittedFailpoint = "schedule.create.committed";

namespace problem {
// A change to a schedule that is cancelled or completed.
inline constexpr std::string_view kScheduleClosed = "/problems/schedule-closed";
}  // namespace problem

struct ScheduleOptions {
  storage::AliasNumberRange alias_range;  // 7 digits by default
  std::string alias_prefix = "meet";      // aliases <prefix><n>, <prefix><n>.<domain>, <n>
  std::string alias_domain = "localhost";
  std::chrono::milliseconds alias_quarantine{std::chrono::hours(24)};
  std::string join_address = "localhost";  // <address> of https://<address>/webapp/...
  int bandwidth_kbps = kDefaultBandwidthKbps;
  std::string invitation_webhook_url;  // empty: no webhooks
  bool invitation_email = true;        // an email.send job per message
  std::chrono::milliseconds cleanup_interval{std::chrono::hours(24)};
};

struct ScheduleParticipantInput {
  std::optional<std::int64_t> id;  // PATCH: the participant to change; none: a new one
  std::string email;
  std::optional<std::string> name;
  std::optional<storage::ScheduleRole> role;  // new participants: guest when none
};

struct CreateScheduleRequest {
  std::string title;
  std::optional<storage::TimePoint> starts_at;
  std::optional<storage::TimePoint> ends_at;     // either ends_at
  std::optional<std::int64_t> duration_seconds;  // or a duration
  std::vector<ScheduleParticipantInput> participants;
};

struct UpdateScheduleRequest {
  std::optional<std::string> title;
  std::optional<storage::TimePoint> starts_at;
  std::optional<storage::TimePoint> ends_at;
  std::optional<std::int64_t> duration_seconds;
  std::vector<ScheduleParticipantInput> participants;  // changed or added
};

// A schedule as the API shows it: the store's row and, once active, its aliases and each
// participant's join link.
struct ScheduleView {
  storage::Schedule schedule;
  std::vector<std::string> aliases;
  std::vector<std::string> join_links;  // one per participant, in order; empty while pending
};

// The aliases of the conference on alias number `number`.
std::vector<std::string> ScheduleAliases(const ScheduleOptions& options, std::int64_t number);

// Two different random 4-digit PINs (host, guest) from libsodium's CSPRNG.
struct PinPair {
  std::string host;
  std::string guest;
};
PinPair GeneratePinPair();

// Scheduled conferences: a conference at a date and time with its participants, created by a
// durable job (alias number, three aliases, two PINs, one invitation per participant), notified
// of changes, and cleaned up after its end or cancellation by a periodic job. Requests only change
// the schedule and enqueue jobs in the same transaction (the outbox), so a crash loses nothing;
// the job handlers are idempotent, so a crash repeats nothing that committed. Every change to a
// schedule, job handlers included, takes its row lock first. Thread-safe; throws ServiceError
// (and the handlers JobFailure or StorageError, which the runner retries).
class ScheduleService {
 public:
  ScheduleService(storage::Database& db, const storage::Clock& clock,
                  storage::ScheduleStore& schedules, storage::AliasNumberStore& numbers,
                  storage::JobStore& jobs, ConferenceService& conferences,
                  ScheduleOptions options = {});

  // Write scope. Refuses (kUnprocessable, naming the field) a missing or bad start, an end not
  // after the start, an empty or invalid email, an email given twice, a title too long.
  ScheduleView Create(const Caller& caller, const CreateScheduleRequest& request);
  // Read scope; the creator or an administrator.
  ScheduleView Get(const Caller& caller, std::int64_t id);
  Page<ScheduleView> List(const Caller& caller, const PageRequest& page);
  // Write scope; the creator or an administrator. kConflict (/problems/schedule-closed) once
  // cancelled or completed. A new time notifies everyone, a new email that participant only.
  ScheduleView Update(const Caller& caller, std::int64_t id, const UpdateScheduleRequest& request);
  // pending or active -> cancelled; everyone already invited is told. kConflict once closed.
  ScheduleView Cancel(const Caller& caller, std::int64_t id);

  // Job handlers (registered by RegisterJobs).
  void RunCreate(const storage::Job& job);
  void RunNotify(const storage::Job& job);
  void RunCleanup(const storage::Job& job);
  void RegisterJobs(JobRunner& runner);
  // Enqueues the first cleanup run (due now) unless one is pending or running. At start-up.
  void EnsureCleanupScheduled();

  const ScheduleOptions& options() const { return options_; }

  static constexpr std::size_t kMaxTitleLength = 200;
  static constexpr std::size_t kMaxNameLength = 100;
  static constexpr std::size_t kMaxEmailLength = 254;
  static constexpr std::size_t kMaxParticipants = 100;

 private:
  ScheduleView ViewOf(storage::Schedule schedule) const;
  storage::Schedule RequireVisible(storage::SqlExecutor& executor, const Caller& caller,
                                   std::int64_t id);
  // Enqueues the message each participant is owed and marks it sent, inside `tx`.
  void EnqueueOwedMessages(storage::SqlExecutor& tx, const storage::Schedule& schedule);
  void EnqueueNotify(storage::SqlExecutor& tx, std::int64_t schedule_id);

  storage::Database& db_;
  const storage::Clock& clock_;
  storage::ScheduleStore& schedules_;
  storage::AliasNumberStore& numbers_;
  storage::JobStore& jobs_;
  ConferenceService& conferences_;
  ScheduleOptions options_;
};

}  // namespace mgw::service
