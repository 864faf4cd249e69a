#include "mgw/storage/schedule_store.h"

#include <fmt/format.h>

#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

constexpr const char* kScheduleColumns =
    "id, title, starts_at, ends_at, status, conference_name, conference_id, alias_number, "
    "host_pin, guest_pin, conference_deleted, conference_deleted_at, created_by, created_at, "
    "updated_at";

constexpr const char* kParticipantColumns =
    "id, schedule_id, email, name, role, invitation_sent, invitation_sent_at, notices_sent, "
    "created_at";

std::optional<TimePoint> OptionalTime(const Row& row, std::size_t column) {
  if (row.IsNull(column)) return std::nullopt;
  return FromUnixMillis(row.GetInt64(column));
}

Schedule ScheduleFromRow(const Row& row) {
  std::optional<ScheduleStatus> status = ParseScheduleStatus(row.GetString(4));
  if (!status) {
    throw StorageError(StorageErrorKind::kInternal, "unknown schedule status " + row.GetString(4));
  }
  return Schedule{.id = row.GetInt64(0),
                  .title = row.GetString(1),
                  .starts_at = FromUnixMillis(row.GetInt64(2)),
                  .ends_at = FromUnixMillis(row.GetInt64(3)),
                  .status = *status,
                  .conference_name = row.GetOptionalString(5).value_or(""),
                  .conference_id = row.GetOptionalInt64(6),
                  .alias_number = row.GetOptionalInt64(7),
                  .host_pin = row.GetOptionalString(8),
                  .guest_pin = row.GetOptionalString(9),
                  .conference_deleted = row.GetBool(10),
                  .conference_deleted_at = OptionalTime(row, 11),
                  .created_by = row.GetOptionalInt64(12),
                  .created_at = FromUnixMillis(row.GetInt64(13)),
                  .updated_at = FromUnixMillis(row.GetInt64(14)),
                  .participants = {}};
}

ScheduleParticipant ParticipantFromRow(const Row& row) {
  std::optional<ScheduleRole> role = ParseScheduleRole(row.GetString(4));
  if (!role) {
    throw StorageError(StorageErrorKind::kInternal, "unknown participant role " + row.GetString(4));
  }
  return ScheduleParticipant{.id = row.GetInt64(0),
                             .schedule_id = row.GetInt64(1),
                             .email = row.GetString(2),
                             .name = row.GetString(3),
                             .role = *role,
                             .invitation_sent = row.GetBool(5),
                             .invitation_sent_at = OptionalTime(row, 6),
                             .notices_sent = row.GetInt64(7),
                             .created_at = FromUnixMillis(row.GetInt64(8))};
}

}  // namespace

std::string_view ToString(ScheduleStatus status) {
  switch (status) {
    case ScheduleStatus::kPending:
      return "pending";
    case ScheduleStatus::kActive:
      return "active";
    case ScheduleStatus::kCancelled:
      return "cancelled";
    case ScheduleStatus::kCompleted:
      return "completed";
  }
  return "pending";
}

std::optional<ScheduleStatus> ParseScheduleStatus(std::string_view text) {
  for (ScheduleStatus status : {ScheduleStatus::kPending, ScheduleStatus::kActive,
                                ScheduleStatus::kCancelled, ScheduleStatus::kCompleted}) {
    if (text == ToString(status)) return status;
  }
  return std::nullopt;
}

std::string_view ToString(ScheduleRole role) {
  return role == ScheduleRole::kHost ? "host" : "guest";
}

std::optional<ScheduleRole> ParseScheduleRole(std::string_view text) {
  if (text == "host") return ScheduleRole::kHost;
  if (text == "guest") return ScheduleRole::kGuest;
  return std::nullopt;
}

std::string ScheduleStore::ConferenceNameFor(std::int64_t schedule_id) {
  return fmt::format("mgw-schedule-{}", schedule_id);
}

Schedule ScheduleStore::Create(SqlExecutor& executor, const NewSchedule& schedule) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  const std::int64_t id =
      executor
          .QueryOne(
              "INSERT INTO scheduled_conferences (title, starts_at, ends_at, status, created_by, "
              "created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?) RETURNING id",
              {schedule.title, ToUnixMillis(schedule.starts_at), ToUnixMillis(schedule.ends_at),
               schedule.created_by, now, now})
          ->GetInt64(0);
  executor.Execute("UPDATE scheduled_conferences SET conference_name = ? WHERE id = ?",
                   {ConferenceNameFor(id), id});
  for (const NewScheduleParticipant& participant : schedule.participants) {
    AddParticipant(executor, id, participant);
  }
  return *Find(executor, id);
}

std::optional<Schedule> ScheduleStore::Find(SqlExecutor& executor, std::int64_t id) {
  std::optional<Row> row = executor.QueryOne(
      fmt::format("SELECT {} FROM scheduled_conferences WHERE id = ?", kScheduleColumns), {id});
  if (!row) return std::nullopt;
  Schedule schedule = ScheduleFromRow(*row);
  schedule.participants = Participants(executor, id);
  return schedule;
}

bool ScheduleStore::Lock(SqlExecutor& executor, std::int64_t id) {
  return executor.Execute("UPDATE scheduled_conferences SET status = status WHERE id = ?", {id}) >
         0;
}

SchedulePage ScheduleStore::List(std::optional<std::int64_t> created_by, std::size_t limit,
                                 std::size_t offset) {
  constexpr const char* kVisible = "(CAST($1 AS BIGINT) IS NULL OR created_by = $1)";
  SchedulePage page;
  page.total =
      db_.QueryOne(fmt::format("SELECT COUNT(*) FROM scheduled_conferences WHERE {}", kVisible),
                   {created_by})
          ->GetInt64(0);
  for (const Row& row :
       db_.Query(fmt::format("SELECT {} FROM scheduled_conferences WHERE {} ORDER BY created_at, "
                             "id LIMIT CAST($2 AS BIGINT) OFFSET CAST($3 AS BIGINT)",
                             kScheduleColumns, kVisible),
                 {created_by, limit, offset})) {
    page.items.push_back(ScheduleFromRow(row));
  }
  for (Schedule& schedule : page.items) schedule.participants = Participants(db_, schedule.id);
  return page;
}

bool ScheduleStore::SetTitle(SqlExecutor& executor, std::int64_t id, std::string_view title) {
  return executor.Execute("UPDATE scheduled_conferences SET title = ?, updated_at = ? WHERE id = ?",
                          {title, ToUnixMillis(clock_.Now()), id}) > 0;
}

bool ScheduleStore::SetTimes(SqlExecutor& executor, std::int64_t id, TimePoint starts_at,
                             TimePoint ends_at) {
  return executor.Execute(
             "UPDATE scheduled_conferences SET starts_at = ?, ends_at = ?, updated_at = ? "
             "WHERE id = ?",
             {ToUnixMillis(starts_at), ToUnixMillis(ends_at), ToUnixMillis(clock_.Now()), id}) > 0;
}

bool ScheduleStore::Transition(SqlExecutor& executor, std::int64_t id, ScheduleStatus from,
                               ScheduleStatus to) {
  return executor.Execute(
             "UPDATE scheduled_conferences SET status = ?, updated_at = ? "
             "WHERE id = ? AND status = ?",
             {ToString(to), ToUnixMillis(clock_.Now()), id, ToString(from)}) > 0;
}

bool ScheduleStore::Activate(SqlExecutor& executor, std::int64_t id,
                             const ScheduleConference& conference) {
  return executor.Execute(
             "UPDATE scheduled_conferences SET status = 'active', conference_id = ?, "
             "alias_number = ?, host_pin = ?, guest_pin = ?, updated_at = ? "
             "WHERE id = ? AND status = 'pending'",
             {conference.conference_id, conference.alias_number, conference.host_pin,
              conference.guest_pin, ToUnixMillis(clock_.Now()), id}) > 0;
}

bool ScheduleStore::MarkConferenceDeleted(SqlExecutor& executor, std::int64_t id) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  return executor.Execute(
             "UPDATE scheduled_conferences SET conference_deleted = 1, conference_deleted_at = ?, "
             "updated_at = ? WHERE id = ? AND conference_deleted = 0",
             {now, now, id}) > 0;
}

std::vector<std::int64_t> ScheduleStore::DueForCleanup(SqlExecutor& executor, TimePoint now,
                                                       std::size_t limit) {
  std::vector<std::int64_t> ids;
  for (const Row& row :
       executor.Query("SELECT id FROM scheduled_conferences WHERE conference_deleted = 0 "
                      "AND conference_id IS NOT NULL AND (status IN ('cancelled', 'completed') "
                      "OR (status = 'active' AND ends_at <= ?)) ORDER BY ends_at, id LIMIT ?",
                      {ToUnixMillis(now), limit})) {
    ids.push_back(row.GetInt64(0));
  }
  return ids;
}

ScheduleParticipant ScheduleStore::AddParticipant(SqlExecutor& executor, std::int64_t schedule_id,
                                                  const NewScheduleParticipant& participant) {
  std::optional<Row> row = executor.QueryOne(
      fmt::format("INSERT INTO scheduled_conference_participants (schedule_id, email, name, role, "
                  "created_at) VALUES (?, ?, ?, ?, ?) RETURNING {}",
                  kParticipantColumns),
      {schedule_id, participant.email, participant.name, ToString(participant.role),
       ToUnixMillis(clock_.Now())});
  return ParticipantFromRow(*row);
}

bool ScheduleStore::RemoveParticipant(SqlExecutor& executor, std::int64_t schedule_id,
                                      std::int64_t participant_id) {
  return executor.Execute(
             "DELETE FROM scheduled_conference_participants WHERE id = ? AND schedule_id = ?",
             {participant_id, schedule_id}) > 0;
}

bool ScheduleStore::SetParticipantEmail(SqlExecutor& executor, std::int64_t schedule_id,
                                        std::int64_t participant_id, std::string_view email) {
  return executor.Execute(
             "UPDATE scheduled_conference_participants SET email = ?, invitation_sent = 0, "
             "notices_sent = 0 "
             "WHERE id = ? AND schedule_id = ? AND email <> ?",
             {email, participant_id, schedule_id, email}) > 0;
}

std::int64_t ScheduleStore::ResetInvitations(SqlExecutor& executor, std::int64_t schedule_id) {
  return executor.Execute(
      "UPDATE scheduled_conference_participants SET invitation_sent = 0 WHERE schedule_id = ?",
      {schedule_id});
}

std::vector<ScheduleParticipant> ScheduleStore::Participants(SqlExecutor& executor,
                                                             std::int64_t schedule_id) {
  std::vector<ScheduleParticipant> participants;
  for (const Row& row :
       executor.Query(fmt::format("SELECT {} FROM scheduled_conference_participants "
                                  "WHERE schedule_id = ? ORDER BY id",
                                  kParticipantColumns),
                      {schedule_id})) {
    participants.push_back(ParticipantFromRow(row));
  }
  return participants;
}

bool ScheduleStore::MarkInvitationSent(SqlExecutor& executor, std::int64_t participant_id) {
  return executor.Execute(
             "UPDATE scheduled_conference_participants SET invitation_sent = 1, "
             "invitation_sent_at = ?, notices_sent = notices_sent + 1 "
             "WHERE id = ? AND invitation_sent = 0",
             {ToUnixMillis(clock_.Now()), participant_id}) > 0;
}

}  // namespace mgw::storage
