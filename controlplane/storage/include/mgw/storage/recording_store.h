#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// requested → assigned → recording → uploading → done | failed (migration 0006).
enum class RecordingState { kRequested, kAssigned, kRecording, kUploading, kDone, kFailed };
std::string_view ToString(RecordingState state);
std::optional<RecordingState> ParseRecordingState(std::string_view text);

struct RecordingRow {
  std::int64_t id = 0;
  std::string meeting_id;
  RecordingState state = RecordingState::kRequested;
  std::optional<std::string> recorder;
  int claims = 0;  // fences a claim: reports from an older claim are refused
  std::optional<TimePoint> lease_expires_at;
  std::optional<std::int64_t> token_id;
  std::optional<std::string> file_name;
  std::optional<std::string> location;
  std::optional<std::string> link;
  std::optional<TimePoint> link_expires_at;
  std::optional<std::string> sha256;
  std::optional<std::int64_t> size_bytes;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::string> manifest;  // JSON text
  std::optional<std::string> segments;  // JSON array text (migration 0009); NULL before
  std::optional<std::string> error;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> completed_at;
};

struct RecordingResult {
  std::string location;
  std::string link;
  std::optional<TimePoint> link_expires_at;
  std::string sha256;
  std::int64_t size_bytes = 0;
  std::int64_t duration_ms = 0;
  std::string manifest;  // JSON text
  // Every file of the recording, a JSON array (migration 0009); the fields above are the first's.
  std::optional<std::string> segments;
};

// The recordings table: the recorder's work queue and the record of each recording. Calls that
// take a SqlExecutor run on it (a Transaction, to act atomically with other changes). Throws
// StorageError.
class RecordingStore {
 public:
  RecordingStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Creates the meeting's recording, `requested`, unless it has one. True when this call did.
  bool EnsureRequested(SqlExecutor& executor, std::string_view meeting_id);
  // Creates the missing rows for every active meeting whose recording was asked for (so a claim
  // works even when no job runner handled "recording.start" yet); returns how many.
  std::int64_t CatchUpRequested(SqlExecutor& executor);
  // The oldest claimable recording (requested, or any live state with an expired lease), moved
  // to `assigned` when it was requested (a resumed one keeps its state) with `recorder`, a lease
  // until now + lease and claims + 1; none when nothing is claimable. Run it in a transaction.
  std::optional<RecordingRow> ClaimNext(SqlExecutor& executor, std::string_view recorder,
                                        std::chrono::milliseconds lease);
  void SetToken(SqlExecutor& executor, std::int64_t id, std::int64_t token_id);
  std::optional<RecordingRow> Find(SqlExecutor& executor, std::int64_t id);
  std::optional<RecordingRow> Find(std::int64_t id) { return Find(db_, id); }
  std::optional<RecordingRow> FindByMeeting(SqlExecutor& executor, std::string_view meeting_id);
  // Newest first, keyset by id (< before_id when given).
  std::vector<RecordingRow> List(std::size_t limit, std::optional<std::int64_t> before_id);
  // Renews the lease of claim `claims` and moves to `state` (recording or uploading) with the
  // file name when given. False when that claim is no longer current or the row is finished.
  bool Report(SqlExecutor& executor, std::int64_t id, int claims, RecordingState state,
              std::optional<std::string> file_name, std::chrono::milliseconds lease);
  // done with the result; false as Report().
  bool Complete(SqlExecutor& executor, std::int64_t id, int claims, const RecordingResult& result);
  // The meeting's recording recipients (emails), oldest first.
  std::vector<std::string> Recipients(SqlExecutor& executor, std::string_view meeting_id);
  // failed with the error; false as Report().
  bool Fail(SqlExecutor& executor, std::int64_t id, int claims, std::string_view error);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace mgw::storage
