#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// Wrong PINs of one source address for one conference (0007).
struct PinFailures {
  std::int64_t failures = 0;  // since the last lockout or right PIN
  std::int64_t lockouts = 0;  // lockouts so far: each doubles the next one's length
  std::optional<TimePoint> locked_until;
};

// A conference whose meeting runs (the status API).
struct LiveConference {
  std::int64_t conference_id = 0;
  std::string name;
  std::string meeting_id;
  TimePoint started_at;  // the meeting's creation
  bool host_present = false;
};

// An open participation in a conference's meeting (the status API).
struct LiveParticipant {
  std::int64_t participation_id = 0;
  std::int64_t conference_id = 0;
  std::string conference_name;
  std::string meeting_id;
  std::string display_name;
  std::string role;  // host, guest
  TimePoint joined_at;
};

// What conferences joined by alias and PIN need beyond ConferenceStore and MeetingStore: wrong-PIN
// counts, meetings and participations without an account, and the live state the status API
// reads. Calls run through the given SqlExecutor so a service composes them in one Transaction.
// Holds no state of its own; thread-safe like the Database. Throws StorageError.
class RoomStore {
 public:
  explicit RoomStore(const Clock& clock) : clock_(clock) {}

  // Takes the row lock of (conference, source), creating the row when missing, and reads it.
  PinFailures LockPinFailures(SqlExecutor& executor, std::int64_t conference_id,
                              std::string_view source_address);
  void SetPinFailures(SqlExecutor& executor, std::int64_t conference_id,
                      std::string_view source_address, const PinFailures& failures);
  void ClearPinFailures(SqlExecutor& executor, std::int64_t conference_id,
                        std::string_view source_address);

  // Takes the conference's row lock; false when there is no such conference.
  bool LockConference(SqlExecutor& executor, std::int64_t conference_id);
  // An active meeting with no host account (a conference's), on `node_id`.
  void CreateMeeting(SqlExecutor& executor, std::string_view id, std::string_view node_id,
                     std::string_view title);
  // Opens a participation without an account; its id.
  std::int64_t OpenParticipation(SqlExecutor& executor, std::string_view meeting_id,
                                 std::string_view display_name, std::string_view role);
  // Closes an open participation: true when it was open.
  bool CloseParticipation(SqlExecutor& executor, std::int64_t participation_id);
  bool HostPresent(SqlExecutor& executor, std::string_view meeting_id);
  // Open participations that are not the recorder.
  std::int64_t CountParticipants(SqlExecutor& executor, std::string_view meeting_id);

  // Conferences linked to an active meeting, by conference id; `meeting_id` restricts to one.
  std::vector<LiveConference> LiveConferences(SqlExecutor& executor,
                                              std::optional<std::string> meeting_id);
  // Open participations (not the recorder) of those meetings, by participation id;
  // `participation_id` restricts to one.
  std::vector<LiveParticipant> LiveParticipants(SqlExecutor& executor,
                                                std::optional<std::int64_t> participation_id);

 private:
  const Clock& clock_;
};

}  // namespace mgw::storage
