#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

enum class JobState { kPending, kRunning, kDone, kDead };
std::string_view ToString(JobState state);
std::optional<JobState> ParseJobState(std::string_view text);

struct Job {
  std::int64_t id = 0;
  std::string kind;     // what handler runs it, e.g. "webhook.deliver"
  std::string payload;  // JSON text, stored verbatim
  JobState state = JobState::kPending;
  int attempts = 0;  // claims so far; also the fencing token of the current claim
  int max_attempts = 0;
  TimePoint next_run_at;
  std::optional<TimePoint> lease_expires_at;  // while running
  std::optional<std::string> last_error;
  TimePoint created_at;
  TimePoint updated_at;
};

struct NewJob {
  std::string kind;
  std::string payload = "{}";
  std::optional<TimePoint> run_at;  // default: now
  std::optional<int> max_attempts;  // default: JobStoreOptions::max_attempts
};

struct JobStoreOptions {
  int max_attempts = 8;
  // Retry n (n = attempts so far) waits min(max_backoff, base_backoff * 2^(n-1)), scaled by a
  // random factor in [1 - jitter, 1 + jitter).
  std::chrono::milliseconds base_backoff{1000};
  std::chrono::milliseconds max_backoff{std::chrono::hours(1)};
  double jitter = 0.2;
  // A claimed job not completed or failed within the lease is claimed again (the worker crashed).
  std::chrono::milliseconds lease{std::chrono::minutes(5)};
  // Uniform random number in [0, 1) for the jitter; libsodium's generator when empty.
  std::function<double()> random_unit;
};

struct JobQuery {
  std::optional<JobState> state;
  std::optional<std::string> kind;
  std::size_t limit = 100;
  std::int64_t after_id = 0;  // keyset pagination by id
  std::size_t offset = 0;     // offset pagination (after after_id)
};

enum class FailureKind {
  kTransient,  // retry with backoff until max_attempts
  kPermanent,  // dead-letter now (e.g. the receiver rejected the request as invalid)
};

// The durable job table (outbox). A worker claims due jobs, runs them, then completes or fails
// each one with the Job it claimed; `attempts` fences a claim, so a worker whose lease expired
// cannot complete a job that another worker has claimed since. Thread-safe, and safe for several
// processes sharing one database (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write lock).
class JobStore {
 public:
  JobStore(Database& db, const Clock& clock, JobStoreOptions options = {});

  // Enqueues through `executor`: pass a Transaction to enqueue atomically with the change that
  // caused the job (the outbox pattern). kInvalidArgument for an empty kind or max_attempts < 1.
  Job Enqueue(SqlExecutor& executor, const NewJob& job);
  Job Enqueue(const NewJob& job) { return Enqueue(db_, job); }

  // Moves up to `limit` due jobs (pending with next_run_at <= now, or running with an expired
  // lease) to running, increments attempts and sets the lease. Oldest due first. Running jobs
  // whose lease expired on their last attempt are dead-lettered instead.
  // `on_dead_lettered`, when set, runs inside the claim's transaction for each job dead-lettered
  // that way (e.g. to enqueue an alert atomically with it).
  using DeadLetterHook = std::function<void(SqlExecutor&, const Job&)>;
  std::vector<Job> ClaimDue(std::size_t limit, const DeadLetterHook& on_dead_lettered = {});
  // kConflict when the claim is no longer current (lease lost), kNotFound when the job is gone.
  void Complete(const Job& claimed);
  // Records the error; schedules a retry, or dead-letters when attempts reached max_attempts or
  // the failure is permanent. Returns the job as stored. Errors as Complete().
  Job Fail(const Job& claimed, std::string_view error, FailureKind kind = FailureKind::kTransient) {
    return Fail(db_, claimed, error, kind);
  }
  // The same through `executor` (a Transaction, to act on a dead-letter atomically with it).
  Job Fail(SqlExecutor& executor, const Job& claimed, std::string_view error,
           FailureKind kind = FailureKind::kTransient);
  std::optional<Job> Find(std::int64_t id);
  std::vector<Job> List(const JobQuery& query = {});
  // How many jobs match the query's state and kind filters (limit, after_id and offset ignored).
  std::int64_t Count(const JobQuery& query = {});
  // Pending jobs due now (the backlog a runner has not caught up with).
  std::int64_t CountDue();
  // Puts a dead (or pending) job back to pending, due now, with attempts reset to 0.
  // kNotFound when there is no such job, kConflict when it is running or done.
  Job Retry(std::int64_t id);

  // The delay before the retry that follows `attempts` failed attempts (attempts >= 1).
  std::chrono::milliseconds BackoffDelay(int attempts) const;

  Database& database() const { return db_; }

 private:
  Database& db_;
  const Clock& clock_;
  JobStoreOptions options_;
};

}  // namespace mgw::storage
