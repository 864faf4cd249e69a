#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// pending: waiting for the schedule.create job; active: its conference exists; completed: the
// end has passed; cancelled: called off (from pending or active).
enum class ScheduleStatus { kPending, kActive, kCancelled, kCompleted };
std::string_view ToString(ScheduleStatus status);
std::optional<ScheduleStatus> ParseScheduleStatus(std::string_view text);

enum class ScheduleRole { kHost, kGuest };
std::string_view ToString(ScheduleRole role);
std::optional<ScheduleRole> ParseScheduleRole(std::string_view text);

struct ScheduleParticipant {
  std::int64_t id = 0;
  std::int64_t schedule_id = 0;
  std::string email;
  std::string name;
  ScheduleRole role = ScheduleRole::kGuest;
  bool invitation_sent = false;  // false: a message is owed to this participant
  std::optional<TimePoint> invitation_sent_at;
  std::int64_t notices_sent = 0;  // messages enqueued to this email (0: never invited)
  TimePoint created_at;
};

struct Schedule {
  std::int64_t id = 0;
  std::string title;
  TimePoint starts_at;
  TimePoint ends_at;
  ScheduleStatus status = ScheduleStatus::kPending;
  std::string conference_name;
  std::optional<std::int64_t> conference_id;  // set when active
  std::optional<std::int64_t> alias_number;
  std::optional<std::string> host_pin;
  std::optional<std::string> guest_pin;
  bool conference_deleted = false;
  std::optional<TimePoint> conference_deleted_at;
  std::optional<std::int64_t> created_by;
  TimePoint created_at;
  TimePoint updated_at;
  std::vector<ScheduleParticipant> participants;  // by id
};

struct NewScheduleParticipant {
  std::string email;
  std::string name;
  ScheduleRole role = ScheduleRole::kGuest;
};

struct NewSchedule {
  std::string title;
  TimePoint starts_at;
  TimePoint ends_at;
  std::optional<std::int64_t> created_by;
  std::vector<NewScheduleParticipant> participants;
};

// What the schedule.create job records when it made (or adopted) the conference.
struct ScheduleConference {
  std::int64_t conference_id = 0;
  std::int64_t alias_number = 0;
  std::string host_pin;
  std::string guest_pin;
};

struct SchedulePage {
  std::vector<Schedule> items;
  std::int64_t total = 0;
};

// Scheduled conferences and their participants. Calls that take a SqlExecutor run through it, so
// a service composes them (and the jobs they cause) in one Transaction. Thread-safe like the
// Database; holds no state of its own. Every call throws StorageError.
class ScheduleStore {
 public:
  ScheduleStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // A pending schedule with its participants; its conference name is ConferenceNameFor(id).
  // kUniqueViolation when an email is listed twice; kConstraintViolation when ends <= starts.
  Schedule Create(SqlExecutor& executor, const NewSchedule& schedule);
  std::optional<Schedule> Find(SqlExecutor& executor, std::int64_t id);
  std::optional<Schedule> Find(std::int64_t id) { return Find(db_, id); }
  // Takes the schedule's row lock (a no-op UPDATE) so changes to one schedule serialize on both
  // databases, job handlers included. False when there is no such schedule.
  bool Lock(SqlExecutor& executor, std::int64_t id);
  // In creation order; those created by `created_by`, or all when none.
  SchedulePage List(std::optional<std::int64_t> created_by, std::size_t limit, std::size_t offset);

  bool SetTitle(SqlExecutor& executor, std::int64_t id, std::string_view title);
  bool SetTimes(SqlExecutor& executor, std::int64_t id, TimePoint starts_at, TimePoint ends_at);
  // Moves `from` -> `to`; false (nothing changed) when the schedule is not in `from`.
  bool Transition(SqlExecutor& executor, std::int64_t id, ScheduleStatus from, ScheduleStatus to);
  // pending -> active with the conference it now has; false when it was not pending.
  bool Activate(SqlExecutor& executor, std::int64_t id, const ScheduleConference& conference);
  // Sets conference_deleted; true only for the call that set it.
  bool MarkConferenceDeleted(SqlExecutor& executor, std::int64_t id);
  // Schedules whose conference must go: created, not yet deleted, and cancelled, completed, or
  // active with the end at or before `now`. Oldest end first.
  std::vector<std::int64_t> DueForCleanup(SqlExecutor& executor, TimePoint now, std::size_t limit);

  // Participants. A new or re-addressed participant is owed an invitation (invitation_sent 0).
  ScheduleParticipant AddParticipant(SqlExecutor& executor, std::int64_t schedule_id,
                                     const NewScheduleParticipant& participant);
  bool RemoveParticipant(SqlExecutor& executor, std::int64_t schedule_id,
                         std::int64_t participant_id);
  // Changes the email, clears invitation_sent and restarts notices_sent (the new address has
  // heard nothing yet); false when nothing changed or no such
  // participant. kUniqueViolation when another participant has that email.
  bool SetParticipantEmail(SqlExecutor& executor, std::int64_t schedule_id,
                           std::int64_t participant_id, std::string_view email);
  // Clears invitation_sent for everyone (new time, cancellation); returns how many.
  std::int64_t ResetInvitations(SqlExecutor& executor, std::int64_t schedule_id);
  std::vector<ScheduleParticipant> Participants(SqlExecutor& executor, std::int64_t schedule_id);
  // Sets invitation_sent and counts the message; true only for the call that set it.
  bool MarkInvitationSent(SqlExecutor& executor, std::int64_t participant_id);

  // The conference a schedule creates, named after the schedule so a retry finds it.
  static std::string ConferenceNameFor(std::int64_t schedule_id);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace mgw::storage
