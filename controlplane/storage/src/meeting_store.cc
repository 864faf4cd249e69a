#include "mgw/storage/meeting_store.h"

#include <fmt/format.h>

#include "mgw/storage/cache_invalidation.h"
#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

// The participant count is derived, never stored, so it cannot drift from the participations.
constexpr const char* kMeetingColumns =
    "m.id, m.host_account_id, m.node_id, m.state, m.title, m.created_at, m.ended_at, "
    "m.recording_requested_at, (SELECT COUNT(*) FROM meeting_participants p "
    "WHERE p.meeting_id = m.id AND p.left_at IS NULL)";
constexpr std::size_t kMeetingColumnCount = 9;

std::optional<MeetingState> ParseMeetingState(std::string_view text) {
  if (text == "scheduled") return MeetingState::kScheduled;
  if (text == "active") return MeetingState::kActive;
  if (text == "ended") return MeetingState::kEnded;
  return std::nullopt;
}

std::optional<TimePoint> OptionalTime(const Row& row, std::size_t column) {
  if (row.IsNull(column)) return std::nullopt;
  return FromUnixMillis(row.GetInt64(column));
}

Meeting MeetingFromRow(const Row& row) {
  std::optional<MeetingState> state = ParseMeetingState(row.GetString(3));
  if (!state) {
    throw StorageError(StorageErrorKind::kInternal, "unknown meeting state " + row.GetString(3));
  }
  return Meeting{.id = row.GetString(0),
                 .host_account_id = row.GetOptionalInt64(1),
                 .node_id = row.GetOptionalString(2),
                 .state = *state,
                 .title = row.GetString(4),
                 .created_at = FromUnixMillis(row.GetInt64(5)),
                 .ended_at = OptionalTime(row, 6),
                 .recording_requested_at = OptionalTime(row, 7),
                 .participant_count = row.GetInt64(8)};
}

}  // namespace

std::string_view ToString(MeetingState state) {
  switch (state) {
    case MeetingState::kScheduled:
      return "scheduled";
    case MeetingState::kActive:
      return "active";
    case MeetingState::kEnded:
      return "ended";
  }
  return "active";
}

Meeting MeetingStore::Create(SqlExecutor& executor, const NewMeeting& meeting) {
  executor.Execute(
      "INSERT INTO meetings (id, host_account_id, node_id, state, title, created_at) "
      "VALUES (?, ?, ?, 'active', ?, ?)",
      {meeting.id, meeting.host_account_id, meeting.node_id, meeting.title,
       ToUnixMillis(clock_.Now())});
  MarkChanged(executor, CacheKey("meeting", meeting.id));
  return *Find(executor, meeting.id);
}

std::optional<Meeting> MeetingStore::Find(SqlExecutor& executor, std::string_view id) {
  // Formatted once: the text is the statement cache's key, and this read is on every GET.
  static const std::string kSql =
      fmt::format("SELECT {} FROM meetings m WHERE m.id = ?", kMeetingColumns);
  std::optional<Row> row = executor.QueryOne(kSql, {id});
  if (!row) return std::nullopt;
  return MeetingFromRow(*row);
}

std::optional<MeetingWithNode> MeetingStore::FindWithNode(SqlExecutor& executor,
                                                          std::string_view id) {
  static const std::string kSql = fmt::format(
      "SELECT {}, n.id, n.signalling_url, n.media_address, n.state, n.load_participants "
      "FROM meetings m LEFT JOIN dataplane_nodes n ON n.id = m.node_id WHERE m.id = ?",
      kMeetingColumns);
  std::optional<Row> row = executor.QueryOne(kSql, {id});
  if (!row) return std::nullopt;
  MeetingWithNode found{MeetingFromRow(*row), std::nullopt};
  constexpr std::size_t kNode = kMeetingColumnCount;
  if (!row->IsNull(kNode)) {
    found.node = DataplaneNode{.id = row->GetString(kNode),
                               .signalling_url = row->GetString(kNode + 1),
                               .media_address = row->GetString(kNode + 2),
                               .up = row->GetString(kNode + 3) == "up",
                               .load_participants = row->GetInt64(kNode + 4)};
  }
  return found;
}

bool MeetingStore::Lock(SqlExecutor& executor, std::string_view id) {
  return executor.Execute("UPDATE meetings SET state = state WHERE id = ?", {id}) > 0;
}

MeetingPage MeetingStore::List(std::optional<std::int64_t> visible_to, std::size_t limit,
                               std::size_t offset) {
  // $1 is the viewer (NULL: everyone's meetings); written once, used twice.
  constexpr const char* kVisible =
      "(CAST($1 AS BIGINT) IS NULL OR m.host_account_id = $1 OR EXISTS (SELECT 1 FROM "
      "meeting_participants v WHERE v.meeting_id = m.id AND v.account_id = $1))";
  MeetingPage page;
  page.total =
      db_.QueryOne(fmt::format("SELECT COUNT(*) FROM meetings m WHERE {}", kVisible), {visible_to})
          ->GetInt64(0);
  for (const Row& row :
       db_.Query(fmt::format("SELECT {} FROM meetings m WHERE {} ORDER BY m.created_at, m.id "
                             "LIMIT CAST($2 AS BIGINT) OFFSET CAST($3 AS BIGINT)",
                             kMeetingColumns, kVisible),
                 {visible_to, limit, offset})) {
    page.items.push_back(MeetingFromRow(row));
  }
  return page;
}

bool MeetingStore::End(SqlExecutor& executor, std::string_view id) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  if (executor.Execute(
          "UPDATE meetings SET state = 'ended', ended_at = ? WHERE id = ? AND state <> 'ended'",
          {now, id}) == 0) {
    return false;
  }
  executor.Execute(
      "UPDATE meeting_participants SET left_at = ? WHERE meeting_id = ? AND left_at IS NULL",
      {now, id});
  // A conference run by this meeting is no longer (its next join starts a new meeting).
  executor.Execute("UPDATE conferences SET meeting_id = NULL WHERE meeting_id = ?", {id});
  MarkChanged(executor, CacheKey("meeting", id));
  return true;
}

bool MeetingStore::Delete(SqlExecutor& executor, std::string_view id) {
  if (executor.Execute("DELETE FROM meetings WHERE id = ?", {id}) == 0) return false;
  MarkChanged(executor, CacheKey("meeting", id));
  return true;
}

bool MeetingStore::Join(SqlExecutor& executor, const NewParticipation& participation) {
  // The partial unique index (0002) makes a second open participation a no-op, even when two
  // control planes race.
  if (executor.Execute(
          "INSERT INTO meeting_participants (meeting_id, account_id, display_name, role, "
          "joined_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          {participation.meeting_id, participation.account_id, participation.display_name,
           participation.role, ToUnixMillis(clock_.Now())}) == 0) {
    return false;
  }
  MarkChanged(executor, CacheKey("meeting", participation.meeting_id));  // participant_count
  return true;
}

bool MeetingStore::Leave(SqlExecutor& executor, std::string_view meeting_id,
                         std::int64_t account_id) {
  if (executor.Execute(
          "UPDATE meeting_participants SET left_at = ? WHERE meeting_id = ? AND account_id = ? "
          "AND left_at IS NULL",
          {ToUnixMillis(clock_.Now()), meeting_id, account_id}) == 0) {
    return false;
  }
  MarkChanged(executor, CacheKey("meeting", meeting_id));  // participant_count
  return true;
}

bool MeetingStore::IsOpenParticipant(SqlExecutor& executor, std::string_view meeting_id,
                                     std::int64_t account_id) {
  return executor
      .QueryOne(
          "SELECT 1 FROM meeting_participants WHERE meeting_id = ? AND account_id = ? AND "
          "left_at IS NULL",
          {meeting_id, account_id})
      .has_value();
}

std::int64_t MeetingStore::CountOpenParticipants(SqlExecutor& executor,
                                                 std::string_view meeting_id) {
  return executor
      .QueryOne(
          "SELECT COUNT(*) FROM meeting_participants WHERE meeting_id = ? AND left_at IS NULL",
          {meeting_id})
      ->GetInt64(0);
}

bool MeetingStore::MarkRecordingRequested(SqlExecutor& executor, std::string_view meeting_id) {
  if (executor.Execute("UPDATE meetings SET recording_requested_at = ? WHERE id = ? AND "
                       "recording_requested_at IS NULL",
                       {ToUnixMillis(clock_.Now()), meeting_id}) == 0) {
    return false;
  }
  MarkChanged(executor, CacheKey("meeting", meeting_id));
  return true;
}

bool MeetingStore::AddRecipient(SqlExecutor& executor, std::string_view meeting_id,
                                std::string_view email) {
  return executor.Execute(
             "INSERT INTO recording_recipients (meeting_id, email, created_at) VALUES (?, ?, ?) "
             "ON CONFLICT DO NOTHING",
             {meeting_id, email, ToUnixMillis(clock_.Now())}) > 0;
}

std::vector<RecordingRecipient> MeetingStore::ListRecipients(std::string_view meeting_id,
                                                             std::size_t limit,
                                                             std::size_t offset) {
  std::vector<RecordingRecipient> recipients;
  for (const Row& row : db_.Query(
           "SELECT email, created_at FROM recording_recipients WHERE meeting_id = ? ORDER BY id "
           "LIMIT CAST(? AS BIGINT) OFFSET CAST(? AS BIGINT)",
           {meeting_id, limit, offset})) {
    recipients.push_back({row.GetString(0), FromUnixMillis(row.GetInt64(1))});
  }
  return recipients;
}

std::int64_t MeetingStore::CountRecipients(SqlExecutor& executor, std::string_view meeting_id) {
  return executor
      .QueryOne("SELECT COUNT(*) FROM recording_recipients WHERE meeting_id = ?", {meeting_id})
      ->GetInt64(0);
}

}  // namespace mgw::storage
