#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mgw/rec/recording.h"

namespace mgw::rec {

struct MeetingRecorderOptions {
  std::string signalling_host;  // the control plane's WebSocket signalling (ws://host:port/…)
  uint16_t signalling_port = 0;
  std::string signalling_path = "/signalling";
  std::string token;  // bearer token from the claim, sent in INIT
  std::string meeting_id;
  std::string media_address = "127.0.0.1";  // where the UDP socket is bound (any port)
  std::string output_dir;
  int max_video_feeds = 50;
  // Media from the dataplane as SRTP (the keys come in RECORD_JOIN's MEETING_USERS), or plain RTP.
  bool srtp = true;
  // recorder.receive_batch_ms: the socket is drained every this often (0: on readability); see
  // MediaReceiver.
  std::chrono::milliseconds receive_batch{10};
  Recording::Options recording;
  // Called on the receive thread: whenever a file (segment) is opened, and every
  // `heartbeat_interval` (to renew the lease). An exception thrown by either is logged and ignored.
  std::function<void(const std::string& file_name)> on_file;
  std::function<void()> on_heartbeat;
  std::chrono::milliseconds heartbeat_interval{10000};
};

// One file of a recording. A participant whose media appears after a file's header was written
// cannot be added to it, so the recorder closes that file and opens the next segment
// `{meeting_id}_{epoch_ms}.mkv` with every participant present (see recorder/README.md).
struct RecordedSegment {
  std::string file_path;
  std::string file_name;
  int64_t epoch_start_ms = 0;
  bool sink_ok = false;
  RecordingSummary summary;
};

struct MeetingRecorderResult {
  bool ok = false;
  std::string error;                      // when !ok
  std::vector<RecordedSegment> segments;  // in recording order; the last may be empty (no file)
  std::string end_reason;                 // "END", "closed", "stopped"
  uint64_t packets_unknown_ssrc = 0;
};

// One recording of one meeting, end to end on the calling thread: joins over WebSocket
// signalling as the recorder (INIT with the claim's token, RECORD_JOIN with plain RTP and the
// address of its own UDP socket), subscribes to up to max_video_feeds video feeds (every audio
// stream arrives without asking), records every audio and subscribed video stream of the
// participants present into `{meeting_id}_{epoch_ms}.mkv` (Recording + MatroskaSink); when the
// first packet of a participant who joined later arrives, it closes that file and continues in a
// new segment with everyone's tracks (the others' video resumes there at a keyframe, asked for by
// PLI),
// sends PLI through the dataplane when a keyframe is needed, and stops on END, when the control
// plane closes the socket (the meeting was deleted, or it restarted), or on Stop().
// One thread, one io_context: signalling, RTP/RTCP and the 20 ms poll timer are all asynchronous
// operations on it, so nothing is shared with other threads except the stop flag.
class MeetingRecorder {
 public:
  explicit MeetingRecorder(MeetingRecorderOptions options);
  ~MeetingRecorder();
  MeetingRecorder(const MeetingRecorder&) = delete;
  MeetingRecorder& operator=(const MeetingRecorder&) = delete;

  MeetingRecorderResult Run();
  // From any thread: finish the file and return from Run() soon.
  void Stop();

 private:
  struct State;
  MeetingRecorderOptions options_;
  std::unique_ptr<State> state_;
  std::atomic<bool> stop_{false};
};

}  // namespace mgw::rec
