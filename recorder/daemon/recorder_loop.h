#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controlplane_client.h"
#include "mgw/rec/manifest.h"
#include "mgw/rec/s3_client.h"

namespace mgw::rec {

class MeetingRecorder;

struct RecorderLoopOptions {
  std::string name;  // this recorder, as the control plane records it
  std::string signalling_host;
  uint16_t signalling_port = 0;
  std::string media_address = "127.0.0.1";
  std::string output_dir;
  int max_video_feeds = 50;
  bool mix_audio = false;  // recorder.mix_audio: one more track with all audio mixed
  std::chrono::milliseconds receive_batch{10};  // recorder.receive_batch_ms
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds heartbeat_interval{10000};
  std::chrono::seconds link_ttl{604800};
  std::optional<S3Config> s3;  // none: recordings stay in output_dir (file:// location)
  // Multipart part size (S3 needs at least 5 MiB for every part but the last; s3rver does not).
  uint64_t part_size = uint64_t{8} << 20;
  // How often the upload thread looks for full parts in the file being recorded.
  std::chrono::milliseconds upload_interval{500};
};

// One file of a recording to deliver; `summary` is unknown (sink_ok false) for a file an
// earlier recorder left.
struct DeliverySegment {
  std::string file_name;
  int64_t epoch_start_ms = 0;
  RecordingSummary summary;
};

// The recorder's work loop: a thread asks the control plane for a recording every
// poll_interval; each claimed recording runs on its own thread (MeetingRecorder: join, receive,
// write) while, with a bucket, an upload thread streams the growing file (MultipartUploader::Pump
// every upload_interval, each part journaled beside the file). Then it is delivered: per
// segment a manifest beside the file, SHA-256, the rest of the upload (Finish, resuming the
// journal), and one POST .../complete with every segment's location and time-limited link. A
// claim that comes back after a crash (resumed) delivers the files the earlier recorder left in
// output_dir for this meeting (their uploads resume from their journals) together with what it
// records itself when the meeting is still running. Stop() finishes the recordings in progress
// (files stay playable) and delivers them.
class RecorderLoop {
 public:
  RecorderLoop(ControlplaneClient& client, RecorderLoopOptions options);
  ~RecorderLoop();

  void Start();
  void Stop();
  int active() const { return active_.load(); }
  uint64_t completed() const { return completed_.load(); }
  uint64_t failed() const { return failed_.load(); }

 private:
  struct Worker;
  void Loop();
  void Work(const Claim& claim, Worker& worker);
  void Deliver(const Claim& claim, const std::vector<DeliverySegment>& segments);
  // The meeting's files already in output_dir ({meeting_id}_{epoch_ms}.mkv), oldest first.
  std::vector<DeliverySegment> FilesLeftBehind(const std::string& meeting_id) const;

  ControlplaneClient& client_;
  RecorderLoopOptions options_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::list<std::unique_ptr<Worker>> workers_;  // guarded by mutex_
  std::atomic<int> active_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> failed_{0};
};

}  // namespace mgw::rec
