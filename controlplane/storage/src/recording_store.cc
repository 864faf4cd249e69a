#include "mgw/storage/recording_store.h"

#include <fmt/format.h>

#include <array>

#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

constexpr const char* kColumns =
    "id, meeting_id, state, recorder, claims, lease_expires_at, token_id, file_name, location, "
    "link, link_expires_at, sha256, size_bytes, duration_ms, manifest, error, created_at, "
    "updated_at, completed_at, segments";

constexpr std::array<std::string_view, 6> kStateNames = {"requested", "assigned", "recording",
                                                         "uploading", "done",     "failed"};

std::optional<TimePoint> OptionalTime(const Row& row, std::size_t column) {
  std::optional<std::int64_t> millis = row.GetOptionalInt64(column);
  if (!millis) return std::nullopt;
  return FromUnixMillis(*millis);
}

RecordingRow FromRow(const Row& row) {
  std::optional<RecordingState> state = ParseRecordingState(row.GetString(2));
  if (!state) throw StorageError(StorageErrorKind::kInternal, "unknown recording state");
  return RecordingRow{.id = row.GetInt64(0),
                      .meeting_id = row.GetString(1),
                      .state = *state,
                      .recorder = row.GetOptionalString(3),
                      .claims = static_cast<int>(row.GetInt64(4)),
                      .lease_expires_at = OptionalTime(row, 5),
                      .token_id = row.GetOptionalInt64(6),
                      .file_name = row.GetOptionalString(7),
                      .location = row.GetOptionalString(8),
                      .link = row.GetOptionalString(9),
                      .link_expires_at = OptionalTime(row, 10),
                      .sha256 = row.GetOptionalString(11),
                      .size_bytes = row.GetOptionalInt64(12),
                      .duration_ms = row.GetOptionalInt64(13),
                      .manifest = row.GetOptionalString(14),
                      .segments = row.GetOptionalString(19),
                      .error = row.GetOptionalString(15),
                      .created_at = FromUnixMillis(row.GetInt64(16)),
                      .updated_at = FromUnixMillis(row.GetInt64(17)),
                      .completed_at = OptionalTime(row, 18)};
}

// The live states a claim holds; a finished row never changes again.
constexpr const char* kLive = "state IN ('assigned', 'recording', 'uploading')";

}  // namespace

std::string_view ToString(RecordingState state) {
  return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<RecordingState> ParseRecordingState(std::string_view text) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == text) return static_cast<RecordingState>(i);
  }
  return std::nullopt;
}

bool RecordingStore::EnsureRequested(SqlExecutor& executor, std::string_view meeting_id) {
  if (meeting_id.empty()) {
    throw StorageError(StorageErrorKind::kInvalidArgument, "recording: empty meeting id");
  }
  const std::int64_t now = ToUnixMillis(clock_.Now());
  return executor.Execute(
             "INSERT INTO recordings (meeting_id, state, created_at, updated_at) "
             "VALUES ($1, 'requested', $2, $2) ON CONFLICT (meeting_id) DO NOTHING",
             {meeting_id, now}) > 0;
}

std::int64_t RecordingStore::CatchUpRequested(SqlExecutor& executor) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  return executor.Execute(
      "INSERT INTO recordings (meeting_id, state, created_at, updated_at) "
      "SELECT m.id, 'requested', $1, $1 FROM meetings m WHERE m.state = 'active' "
      "AND m.recording_requested_at IS NOT NULL "
      "AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.meeting_id = m.id) "
      "ON CONFLICT (meeting_id) DO NOTHING",
      {now});
}

std::optional<RecordingRow> RecordingStore::ClaimNext(SqlExecutor& executor,
                                                      std::string_view recorder,
                                                      std::chrono::milliseconds lease) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  const char* lock_clause = db_.dialect() == Dialect::kPostgres ? " FOR UPDATE SKIP LOCKED" : "";
  std::optional<Row> row = executor.QueryOne(
      fmt::format("SELECT id FROM recordings WHERE state = 'requested' OR ({} AND "
                  "lease_expires_at <= ?) ORDER BY id LIMIT 1{}",
                  kLive, lock_clause),
      {now});
  if (!row) return std::nullopt;
  const std::int64_t id = row->GetInt64(0);
  executor.Execute(
      "UPDATE recordings SET state = CASE WHEN state = 'requested' THEN 'assigned' ELSE state END, "
      "recorder = $1, claims = claims + 1, lease_expires_at = $2, updated_at = $3 WHERE id = $4",
      {recorder, now + lease.count(), now, id});
  return Find(executor, id);
}

void RecordingStore::SetToken(SqlExecutor& executor, std::int64_t id, std::int64_t token_id) {
  executor.Execute("UPDATE recordings SET token_id = $1 WHERE id = $2", {token_id, id});
}

std::optional<RecordingRow> RecordingStore::Find(SqlExecutor& executor, std::int64_t id) {
  std::optional<Row> row =
      executor.QueryOne(fmt::format("SELECT {} FROM recordings WHERE id = ?", kColumns), {id});
  if (!row) return std::nullopt;
  return FromRow(*row);
}

std::optional<RecordingRow> RecordingStore::FindByMeeting(SqlExecutor& executor,
                                                          std::string_view meeting_id) {
  std::optional<Row> row = executor.QueryOne(
      fmt::format("SELECT {} FROM recordings WHERE meeting_id = ?", kColumns), {meeting_id});
  if (!row) return std::nullopt;
  return FromRow(*row);
}

std::vector<RecordingRow> RecordingStore::List(std::size_t limit,
                                               std::optional<std::int64_t> before_id) {
  std::vector<RecordingRow> out;
  for (const Row& row : db_.Query(
           fmt::format("SELECT {} FROM recordings WHERE id < ? ORDER BY id DESC LIMIT ?", kColumns),
           {before_id.value_or(INT64_MAX), static_cast<std::int64_t>(limit)})) {
    out.push_back(FromRow(row));
  }
  return out;
}

bool RecordingStore::Report(SqlExecutor& executor, std::int64_t id, int claims,
                            RecordingState state, std::optional<std::string> file_name,
                            std::chrono::milliseconds lease) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  return executor.Execute(
             fmt::format("UPDATE recordings SET state = $1, file_name = COALESCE($2, file_name), "
                         "lease_expires_at = $3, updated_at = $4 WHERE id = $5 AND claims = $6 "
                         "AND {}",
                         kLive),
             {ToString(state), file_name, now + lease.count(), now, id, claims}) > 0;
}

bool RecordingStore::Complete(SqlExecutor& executor, std::int64_t id, int claims,
                              const RecordingResult& result) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  std::optional<std::int64_t> link_expires;
  if (result.link_expires_at) link_expires = ToUnixMillis(*result.link_expires_at);
  return executor.Execute(
             fmt::format("UPDATE recordings SET state = 'done', location = $1, link = $2, "
                         "link_expires_at = $3, sha256 = $4, size_bytes = $5, duration_ms = $6, "
                         "manifest = $7, lease_expires_at = NULL, updated_at = $8, "
                         "completed_at = $8, segments = $11 WHERE id = $9 AND claims = $10 AND {}",
                         kLive),
             {result.location, result.link, link_expires, result.sha256, result.size_bytes,
              result.duration_ms, result.manifest, now, id, claims, result.segments}) > 0;
}

std::vector<std::string> RecordingStore::Recipients(SqlExecutor& executor,
                                                    std::string_view meeting_id) {
  std::vector<std::string> emails;
  for (const Row& row :
       executor.Query("SELECT email FROM recording_recipients WHERE meeting_id = ? ORDER BY id",
                      {meeting_id})) {
    emails.push_back(row.GetString(0));
  }
  return emails;
}

bool RecordingStore::Fail(SqlExecutor& executor, std::int64_t id, int claims,
                          std::string_view error) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  return executor.Execute(fmt::format("UPDATE recordings SET state = 'failed', error = $1, "
                                      "lease_expires_at = NULL, updated_at = $2, completed_at = $2 "
                                      "WHERE id = $3 AND claims = $4 AND {}",
                                      kLive),
                          {error, now, id, claims}) > 0;
}

}  // namespace mgw::storage
