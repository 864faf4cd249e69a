#include "mgw/storage/job_store.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cmath>

#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"
#include "sodium_init.h"

namespace mgw::storage {
namespace {

constexpr const char* kJobColumns =
    "id, kind, payload, state, attempts, max_attempts, next_run_at, lease_expires_at, "
    "last_error, created_at, updated_at";

Job JobFromRow(const Row& row) {
  std::optional<JobState> state = ParseJobState(row.GetString(3));
  if (!state) throw StorageError(StorageErrorKind::kInternal, "unknown job state");
  std::optional<std::int64_t> lease = row.GetOptionalInt64(7);
  return Job{.id = row.GetInt64(0),
             .kind = row.GetString(1),
             .payload = row.GetString(2),
             .state = *state,
             .attempts = static_cast<int>(row.GetInt64(4)),
             .max_attempts = static_cast<int>(row.GetInt64(5)),
             .next_run_at = FromUnixMillis(row.GetInt64(6)),
             .lease_expires_at = lease ? std::optional(FromUnixMillis(*lease)) : std::nullopt,
             .last_error = row.GetOptionalString(8),
             .created_at = FromUnixMillis(row.GetInt64(9)),
             .updated_at = FromUnixMillis(row.GetInt64(10))};
}

double SodiumUnit() {
  EnsureSodiumInitialized();
  // 53 random bits: every double in [0, 1) with that spacing is equally likely.
  std::uint64_t bits = 0;
  randombytes_buf(&bits, sizeof bits);
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

}  // namespace

std::string_view ToString(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "pending";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kDead:
      return "dead";
  }
  return "pending";
}

std::optional<JobState> ParseJobState(std::string_view text) {
  for (JobState state :
       {JobState::kPending, JobState::kRunning, JobState::kDone, JobState::kDead}) {
    if (text == ToString(state)) return state;
  }
  return std::nullopt;
}

JobStore::JobStore(Database& db, const Clock& clock, JobStoreOptions options)
    : db_(db), clock_(clock), options_(std::move(options)) {
  if (!options_.random_unit) options_.random_unit = SodiumUnit;
}

Job JobStore::Enqueue(SqlExecutor& executor, const NewJob& job) {
  const int max_attempts = job.max_attempts.value_or(options_.max_attempts);
  if (job.kind.empty() || max_attempts < 1) {
    throw StorageError(StorageErrorKind::kInvalidArgument,
                       "a job needs a kind and max_attempts >= 1");
  }
  const std::int64_t now = ToUnixMillis(clock_.Now());
  const std::int64_t run_at = job.run_at ? ToUnixMillis(*job.run_at) : now;
  std::optional<Row> row = executor.QueryOne(
      fmt::format("INSERT INTO jobs (kind, payload, state, attempts, max_attempts, next_run_at, "
                  "created_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?, ?, ?) RETURNING {}",
                  kJobColumns),
      {job.kind, job.payload, max_attempts, run_at, now, now});
  return JobFromRow(*row);
}

std::vector<Job> JobStore::ClaimDue(std::size_t limit, const DeadLetterHook& on_dead_lettered) {
  if (limit == 0) return {};
  const std::int64_t now = ToUnixMillis(clock_.Now());
  const std::int64_t lease_until = now + options_.lease.count();
  // PostgreSQL: concurrent claimers skip each other's rows instead of waiting or double-claiming.
  // SQLite: BEGIN IMMEDIATE already serializes the whole claim.
  const char* lock_clause = db_.dialect() == Dialect::kPostgres ? " FOR UPDATE SKIP LOCKED" : "";
  std::vector<Job> jobs = InTransaction(db_, [&](Transaction& tx) {
    // A worker died holding the last attempt: dead-letter the job rather than run it again.
    for (const Row& row : tx.Query(
             fmt::format("UPDATE jobs SET state = 'dead', lease_expires_at = NULL, updated_at = ?, "
                         "last_error = 'lease expired on the last attempt' "
                         "WHERE state = 'running' AND lease_expires_at <= ? "
                         "AND attempts >= max_attempts RETURNING {}",
                         kJobColumns),
             {now, now})) {
      if (on_dead_lettered) on_dead_lettered(tx, JobFromRow(row));
    }
    std::vector<Job> claimed;
    for (const Row& row :
         tx.Query(fmt::format("UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                              "lease_expires_at = ?, updated_at = ? "
                              "WHERE id IN (SELECT id FROM jobs "
                              "WHERE (state = 'pending' AND next_run_at <= ?) "
                              "OR (state = 'running' AND lease_expires_at <= ? "
                              "AND attempts < max_attempts) "
                              "ORDER BY next_run_at, id LIMIT ?{}) "
                              "RETURNING {}",
                              lock_clause, kJobColumns),
                  {lease_until, now, now, now, limit})) {
      claimed.push_back(JobFromRow(row));
    }
    return claimed;
  });
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return a.next_run_at != b.next_run_at ? a.next_run_at < b.next_run_at : a.id < b.id;
  });
  return jobs;
}

void JobStore::Complete(const Job& claimed) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  const std::int64_t changed = db_.Execute(
      "UPDATE jobs SET state = 'done', lease_expires_at = NULL, updated_at = ? "
      "WHERE id = ? AND state = 'running' AND attempts = ?",
      {now, claimed.id, claimed.attempts});
  if (changed > 0) return;
  if (!Find(claimed.id)) {
    throw StorageError(StorageErrorKind::kNotFound, fmt::format("no job {}", claimed.id));
  }
  throw StorageError(
      StorageErrorKind::kConflict,
      fmt::format("job {} attempt {} no longer holds the lease", claimed.id, claimed.attempts));
}

Job JobStore::Fail(SqlExecutor& executor, const Job& claimed, std::string_view error,
                   FailureKind kind) {
  const TimePoint now = clock_.Now();
  const bool dead = kind == FailureKind::kPermanent || claimed.attempts >= claimed.max_attempts;
  const TimePoint next_run_at = dead ? claimed.next_run_at : now + BackoffDelay(claimed.attempts);
  std::optional<Row> row = executor.QueryOne(
      fmt::format("UPDATE jobs SET state = ?, next_run_at = ?, last_error = ?, "
                  "lease_expires_at = NULL, updated_at = ? "
                  "WHERE id = ? AND state = 'running' AND attempts = ? RETURNING {}",
                  kJobColumns),
      {ToString(dead ? JobState::kDead : JobState::kPending), ToUnixMillis(next_run_at), error,
       ToUnixMillis(now), claimed.id, claimed.attempts});
  if (row) return JobFromRow(*row);
  // Through `executor`: inside a transaction, the pool's other connections may wait on its lock.
  if (!executor.QueryOne("SELECT id FROM jobs WHERE id = ?", {claimed.id})) {
    throw StorageError(StorageErrorKind::kNotFound, fmt::format("no job {}", claimed.id));
  }
  throw StorageError(
      StorageErrorKind::kConflict,
      fmt::format("job {} attempt {} no longer holds the lease", claimed.id, claimed.attempts));
}

std::optional<Job> JobStore::Find(std::int64_t id) {
  std::optional<Row> row =
      db_.QueryOne(fmt::format("SELECT {} FROM jobs WHERE id = ?", kJobColumns), {id});
  if (!row) return std::nullopt;
  return JobFromRow(*row);
}

std::vector<Job> JobStore::List(const JobQuery& query) {
  // NULL parameters switch a filter off, so one cached statement serves every combination.
  std::optional<std::string> state;
  if (query.state) state = std::string(ToString(*query.state));
  std::vector<Job> jobs;
  for (const Row& row : db_.Query(fmt::format("SELECT {} FROM jobs WHERE id > $1 "
                                              "AND (CAST($2 AS TEXT) IS NULL OR state = $2) "
                                              "AND (CAST($3 AS TEXT) IS NULL OR kind = $3) "
                                              "ORDER BY id LIMIT $4 OFFSET $5",
                                              kJobColumns),
                                  {query.after_id, state, query.kind, query.limit, query.offset})) {
    jobs.push_back(JobFromRow(row));
  }
  return jobs;
}

std::int64_t JobStore::Count(const JobQuery& query) {
  std::optional<std::string> state;
  if (query.state) state = std::string(ToString(*query.state));
  std::optional<Row> row = db_.QueryOne(
      "SELECT COUNT(*) FROM jobs WHERE (CAST($1 AS TEXT) IS NULL OR state = $1) "
      "AND (CAST($2 AS TEXT) IS NULL OR kind = $2)",
      {state, query.kind});
  return row ? row->GetInt64(0) : 0;
}

std::int64_t JobStore::CountDue() {
  std::optional<Row> row =
      db_.QueryOne("SELECT COUNT(*) FROM jobs WHERE state = 'pending' AND next_run_at <= ?",
                   {ToUnixMillis(clock_.Now())});
  return row ? row->GetInt64(0) : 0;
}

Job JobStore::Retry(std::int64_t id) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  std::optional<Row> row =
      db_.QueryOne(fmt::format("UPDATE jobs SET state = 'pending', attempts = 0, next_run_at = ?, "
                               "lease_expires_at = NULL, updated_at = ? "
                               "WHERE id = ? AND state IN ('dead', 'pending') RETURNING {}",
                               kJobColumns),
                   {now, now, id});
  if (row) return JobFromRow(*row);
  std::optional<Job> job = Find(id);
  if (!job) throw StorageError(StorageErrorKind::kNotFound, fmt::format("no job {}", id));
  throw StorageError(StorageErrorKind::kConflict,
                     fmt::format("job {} is {}; only dead or pending jobs can be retried", id,
                                 ToString(job->state)));
}

std::chrono::milliseconds JobStore::BackoffDelay(int attempts) const {
  const int exponent = std::clamp(attempts, 1, 62) - 1;
  const double base = static_cast<double>(options_.base_backoff.count());
  const double cap = static_cast<double>(options_.max_backoff.count());
  const double delay = std::min(cap, base * std::ldexp(1.0, exponent));
  const double unit = std::clamp(options_.random_unit(), 0.0, 1.0);
  const double factor = 1.0 - options_.jitter + 2.0 * options_.jitter * unit;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(delay * factor)));
}

}  // namespace mgw::storage
