#include "mgw/storage/room_store.h"

#include "mgw/storage/cache_invalidation.h"
#include "mgw/storage/storage_error.h"

namespace mgw::storage {

PinFailures RoomStore::LockPinFailures(SqlExecutor& executor, std::int64_t conference_id,
                                       std::string_view source_address) {
  // Insert-if-missing, then a no-op UPDATE: the row lock serializes two control planes counting
  // the same source's attempts (SQLite serializes writers anyway).
  executor.Execute(
      "INSERT INTO pin_failures (conference_id, source_address, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT DO NOTHING",
      {conference_id, source_address, ToUnixMillis(clock_.Now())});
  executor.Execute(
      "UPDATE pin_failures SET updated_at = updated_at WHERE conference_id = ? AND "
      "source_address = ?",
      {conference_id, source_address});
  std::optional<Row> row = executor.QueryOne(
      "SELECT failures, lockouts, locked_until FROM pin_failures WHERE conference_id = ? AND "
      "source_address = ?",
      {conference_id, source_address});
  if (!row) throw StorageError(StorageErrorKind::kInternal, "pin_failures row vanished");
  PinFailures out{.failures = row->GetInt64(0), .lockouts = row->GetInt64(1), .locked_until = {}};
  if (!row->IsNull(2)) out.locked_until = FromUnixMillis(row->GetInt64(2));
  return out;
}

void RoomStore::SetPinFailures(SqlExecutor& executor, std::int64_t conference_id,
                               std::string_view source_address, const PinFailures& failures) {
  std::optional<std::int64_t> locked_until;
  if (failures.locked_until) locked_until = ToUnixMillis(*failures.locked_until);
  executor.Execute(
      "UPDATE pin_failures SET failures = ?, lockouts = ?, locked_until = ?, updated_at = ? "
      "WHERE conference_id = ? AND source_address = ?",
      {failures.failures, failures.lockouts, locked_until, ToUnixMillis(clock_.Now()),
       conference_id, source_address});
}

void RoomStore::ClearPinFailures(SqlExecutor& executor, std::int64_t conference_id,
                                 std::string_view source_address) {
  executor.Execute("DELETE FROM pin_failures WHERE conference_id = ? AND source_address = ?",
                   {conference_id, source_address});
}

bool RoomStore::LockConference(SqlExecutor& executor, std::int64_t conference_id) {
  return executor.Execute("UPDATE conferences SET updated_at = updated_at WHERE id = ?",
                          {conference_id}) > 0;
}

void RoomStore::CreateMeeting(SqlExecutor& executor, std::string_view id, std::string_view node_id,
                              std::string_view title) {
  executor.Execute(
      "INSERT INTO meetings (id, host_account_id, node_id, state, title, created_at) "
      "VALUES (?, NULL, ?, 'active', ?, ?)",
      {id, node_id, title, ToUnixMillis(clock_.Now())});
  MarkChanged(executor, CacheKey("meeting", id));
}

std::int64_t RoomStore::OpenParticipation(SqlExecutor& executor, std::string_view meeting_id,
                                          std::string_view display_name, std::string_view role) {
  std::optional<Row> row = executor.QueryOne(
      "INSERT INTO meeting_participants (meeting_id, account_id, display_name, role, joined_at) "
      "VALUES (?, NULL, ?, ?, ?) RETURNING id",
      {meeting_id, display_name, role, ToUnixMillis(clock_.Now())});
  if (!row) throw StorageError(StorageErrorKind::kInternal, "INSERT ... RETURNING gave no row");
  MarkChanged(executor, CacheKey("meeting", meeting_id));  // participant_count
  return row->GetInt64(0);
}

bool RoomStore::CloseParticipation(SqlExecutor& executor, std::int64_t participation_id) {
  std::optional<Row> row = executor.QueryOne(
      "UPDATE meeting_participants SET left_at = ? WHERE id = ? AND left_at IS NULL "
      "RETURNING meeting_id",
      {ToUnixMillis(clock_.Now()), participation_id});
  if (!row) return false;
  MarkChanged(executor, CacheKey("meeting", row->GetString(0)));  // participant_count
  return true;
}

bool RoomStore::HostPresent(SqlExecutor& executor, std::string_view meeting_id) {
  return executor
             .QueryOne(
                 "SELECT COUNT(*) FROM meeting_participants WHERE meeting_id = ? AND role = 'host' "
                 "AND left_at IS NULL",
                 {meeting_id})
             ->GetInt64(0) > 0;
}

std::int64_t RoomStore::CountParticipants(SqlExecutor& executor, std::string_view meeting_id) {
  return executor
      .QueryOne(
          "SELECT COUNT(*) FROM meeting_participants WHERE meeting_id = ? AND role <> 'recorder' "
          "AND left_at IS NULL",
          {meeting_id})
      ->GetInt64(0);
}

std::vector<LiveConference> RoomStore::LiveConferences(SqlExecutor& executor,
                                                       std::optional<std::string> meeting_id) {
  std::vector<LiveConference> out;
  for (const Row& row : executor.Query(
           "SELECT c.id, c.name, m.id, m.created_at, (SELECT COUNT(*) FROM meeting_participants p "
           "WHERE p.meeting_id = m.id AND p.role = 'host' AND p.left_at IS NULL) "
           "FROM conferences c JOIN meetings m ON m.id = c.meeting_id "
           "WHERE m.state = 'active' AND (CAST(? AS TEXT) IS NULL OR m.id = CAST(? AS TEXT)) "
           "ORDER BY c.id",
           {meeting_id, meeting_id})) {
    out.push_back(LiveConference{.conference_id = row.GetInt64(0),
                                 .name = row.GetString(1),
                                 .meeting_id = row.GetString(2),
                                 .started_at = FromUnixMillis(row.GetInt64(3)),
                                 .host_present = row.GetInt64(4) > 0});
  }
  return out;
}

std::vector<LiveParticipant> RoomStore::LiveParticipants(
    SqlExecutor& executor, std::optional<std::int64_t> participation_id) {
  std::vector<LiveParticipant> out;
  for (const Row& row :
       executor.Query("SELECT p.id, c.id, c.name, m.id, p.display_name, p.role, p.joined_at "
                      "FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id "
                      "JOIN conferences c ON c.meeting_id = m.id "
                      "WHERE m.state = 'active' AND p.left_at IS NULL AND p.role <> 'recorder' "
                      "AND (CAST(? AS BIGINT) IS NULL OR p.id = CAST(? AS BIGINT)) ORDER BY p.id",
                      {participation_id, participation_id})) {
    out.push_back(LiveParticipant{.participation_id = row.GetInt64(0),
                                  .conference_id = row.GetInt64(1),
                                  .conference_name = row.GetString(2),
                                  .meeting_id = row.GetString(3),
                                  .display_name = row.GetString(4),
                                  .role = row.GetString(5),
                                  .joined_at = FromUnixMillis(row.GetInt64(6))});
  }
  return out;
}

}  // namespace mgw::storage
