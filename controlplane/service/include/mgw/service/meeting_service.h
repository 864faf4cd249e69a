#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mgw/service/caller.h"
#include "mgw/service/page.h"
#include "mgw/service/read_caches.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/database.h"
#include "mgw/storage/dataplane_node_store.h"
#include "mgw/storage/job_store.h"
#include "mgw/storage/meeting_store.h"

namespace mgw::service {

struct CreateMeetingRequest {
  std::string title;
};

// A meeting with the node it is placed on (none while no dataplane node is registered).
struct MeetingView {
  storage::Meeting meeting;
  std::optional<storage::DataplaneNode> node;
};

struct RecordResult {
  MeetingView meeting;
  bool started = false;  // this call asked for the recording (the first call does)
  std::int64_t recipient_count = 0;
};

// Meetings: create (the caller hosts; placed on the least-loaded live dataplane node when one is
// registered), read, list, join and leave (participant counts and the node's load figure move in
// the same transaction), end (host only), delete (host or administrator), and recording
// requests. Every change runs in one transaction holding the meeting's row lock, so control
// planes sharing a database serialize on a meeting. Get() reads through `caches` when given
// (ReadCaches::meetings and ::nodes; the stores' writes invalidate them). Thread-safe; throws
// ServiceError.
class MeetingService {
 public:
  MeetingService(storage::Database& db, storage::MeetingStore& meetings,
                 storage::DataplaneNodeStore& nodes, storage::JobStore& jobs,
                 ReadCaches* caches = nullptr)
      : db_(db), meetings_(meetings), nodes_(nodes), jobs_(jobs), caches_(caches) {}

  MeetingView Create(const Caller& caller, const CreateMeetingRequest& request);
  MeetingView Get(const Caller& caller, std::string_view meeting_id);
  // Administrators see every meeting; others those they host or have joined.
  Page<MeetingView> List(const Caller& caller, const PageRequest& page);
  // Joining twice is not an error: the caller stays one participant. kConflict
  // (/problems/meeting-ended) once the meeting has ended.
  MeetingView Join(const Caller& caller, std::string_view meeting_id,
                   std::optional<std::string> display_name);
  // kConflict (/problems/not-participant) when the caller is not in the meeting.
  MeetingView Leave(const Caller& caller, std::string_view meeting_id);
  // Host only (kForbidden otherwise); kConflict when already ended.
  MeetingView End(const Caller& caller, std::string_view meeting_id);
  void Delete(const Caller& caller, std::string_view meeting_id);
  // The host or a participant asks for the recording: the first request marks the meeting and
  // enqueues a "recording.start" job (durable, same transaction); every request adds the
  // caller's email to the recipients.
  RecordResult Record(const Caller& caller, std::string_view meeting_id);
  // The host, a participant or an administrator.
  Page<storage::RecordingRecipient> Recipients(const Caller& caller, std::string_view meeting_id,
                                               const PageRequest& page);

  static constexpr std::size_t kMaxTitleLength = 200;
  static constexpr std::size_t kMaxDisplayNameLength = 100;

 private:
  MeetingView ViewOf(storage::SqlExecutor& executor, storage::Meeting meeting);
  storage::Meeting Require(storage::SqlExecutor& executor, std::string_view meeting_id);

  storage::Database& db_;
  storage::MeetingStore& meetings_;
  storage::DataplaneNodeStore& nodes_;
  storage::JobStore& jobs_;
  ReadCaches* caches_;
};

}  // namespace mgw::service
