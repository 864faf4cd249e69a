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
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds heartbeat_interval{10000};
  std::chrono::seconds link_ttl{604800};
  std::optional<S3Config> s3;  // none: recordings stay in output_dir (file:// location)
};

// The recorder's work loop: a thread asks the control plane for a recording every
// poll_interval; each claimed recording runs on its own thread (MeetingRecorder: join, receive,
// write), then is delivered: manifest beside the file, SHA-256, upload (S3 multipart with a
// journal beside the file, or nothing to do in local-folder mode), and POST .../complete with
// the location and the time-limited link. A claim that comes back after a crash (resumed) for a
// meeting that has ended, with its file on this host, is delivered from that file (the upload
// resumes from its journal). Stop() finishes the recordings in progress (files stay playable)
// and delivers them.
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
  void Deliver(const Claim& claim, ManifestInfo info, const RecordingSummary& summary);

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
