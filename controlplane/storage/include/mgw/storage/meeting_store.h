#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/dataplane_node_store.h"

namespace mgw::storage {

enum class MeetingState { kScheduled, kActive, kEnded };
std::string_view ToString(MeetingState state);

struct Meeting {
  std::string id;
  std::optional<std::int64_t> host_account_id;  // none once the host's account is deleted
  std::optional<std::string> node_id;           // the dataplane node it is placed on, if any
  MeetingState state = MeetingState::kActive;
  std::string title;
  TimePoint created_at;
  std::optional<TimePoint> ended_at;
  std::optional<TimePoint> recording_requested_at;
  std::int64_t participant_count = 0;  // open participations
};

// A meeting and the node it is placed on (none when it has none, or the node row is gone).
struct MeetingWithNode {
  Meeting meeting;
  std::optional<DataplaneNode> node;
};

struct NewMeeting {
  std::string id;
  std::int64_t host_account_id = 0;
  std::optional<std::string> node_id;
  std::string title;
};

struct MeetingPage {
  std::vector<Meeting> items;
  std::int64_t total = 0;  // over all pages
};

struct NewParticipation {
  std::string meeting_id;
  std::int64_t account_id = 0;
  std::string display_name;
  std::string role;  // host, guest, recorder
};

struct RecordingRecipient {
  std::string email;
  TimePoint added_at;
};

// Meetings, their participations and recording recipients. Calls that take a SqlExecutor run
// through it, so a service composes them in one Transaction; the others auto-commit. Thread-safe
// like the Database; holds no state of its own. Every call throws StorageError.
class MeetingStore {
 public:
  MeetingStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // kUniqueViolation when the id is taken.
  Meeting Create(SqlExecutor& executor, const NewMeeting& meeting);
  std::optional<Meeting> Find(SqlExecutor& executor, std::string_view id);
  std::optional<Meeting> Find(std::string_view id) { return Find(db_, id); }
  // The meeting with its node, in one statement (one read, one round trip to PostgreSQL).
  std::optional<MeetingWithNode> FindWithNode(SqlExecutor& executor, std::string_view id);
  // Takes the meeting's row lock (a no-op UPDATE) so concurrent changes to one meeting serialize
  // on both databases. False when there is no such meeting.
  bool Lock(SqlExecutor& executor, std::string_view id);
  // Meetings in creation order; those `visible_to` hosts or has joined, or all when none.
  MeetingPage List(std::optional<std::int64_t> visible_to, std::size_t limit, std::size_t offset);
  // True when the meeting was active and is now ended; closes every open participation.
  bool End(SqlExecutor& executor, std::string_view id);
  // True when a row was deleted (participations and recipients go with it).
  bool Delete(SqlExecutor& executor, std::string_view id);

  // Opens a participation unless the account already has an open one: true when opened.
  bool Join(SqlExecutor& executor, const NewParticipation& participation);
  // Closes the account's open participation: true when there was one.
  bool Leave(SqlExecutor& executor, std::string_view meeting_id, std::int64_t account_id);
  bool IsOpenParticipant(SqlExecutor& executor, std::string_view meeting_id,
                         std::int64_t account_id);
  std::int64_t CountOpenParticipants(SqlExecutor& executor, std::string_view meeting_id);

  // Sets recording_requested_at if unset: true when this call set it.
  bool MarkRecordingRequested(SqlExecutor& executor, std::string_view meeting_id);
  // Adds a recipient unless present: true when added.
  bool AddRecipient(SqlExecutor& executor, std::string_view meeting_id, std::string_view email);
  std::vector<RecordingRecipient> ListRecipients(std::string_view meeting_id, std::size_t limit,
                                                 std::size_t offset);
  std::int64_t CountRecipients(SqlExecutor& executor, std::string_view meeting_id);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace mgw::storage
