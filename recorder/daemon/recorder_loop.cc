#include "recorder_loop.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "meeting_recorder.h"
#include "mgw/rec/manifest.h"
#include "mgw/rec/multipart_uploader.h"

namespace mgw::rec {
namespace fs = std::filesystem;

struct RecorderLoop::Worker {
  std::unique_ptr<MeetingRecorder> recorder;  // set while recording; guarded by the loop's mutex
  std::thread thread;
  std::atomic<bool> finished{false};
};

RecorderLoop::RecorderLoop(ControlplaneClient& client, RecorderLoopOptions options)
    : client_(client), options_(std::move(options)) {}

RecorderLoop::~RecorderLoop() { Stop(); }

void RecorderLoop::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void RecorderLoop::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    for (auto& worker : workers_) {
      if (worker->recorder) worker->recorder->Stop();
    }
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::list<std::unique_ptr<Worker>> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& worker : workers) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void RecorderLoop::Loop() {
  bool reachable = true;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // Reap finished workers.
    for (auto it = workers_.begin(); it != workers_.end();) {
      if ((*it)->finished.load()) {
        (*it)->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    std::optional<Claim> claim;
    try {
      claim = client_.ClaimNext(options_.name);
      if (!reachable) spdlog::info("recorder: taking work from {}", client_.base_url());
      reachable = true;
    } catch (const std::exception& e) {
      // Once per outage, not once per poll (the control plane may simply start later).
      if (reachable) spdlog::warn("recorder: asking {} for work: {}", client_.base_url(), e.what());
      reachable = false;
    }
    lock.lock();
    if (claim && !stopping_) {
      spdlog::info("recorder: claimed recording {} of meeting {} (claim {}{})", claim->recording_id,
                   claim->meeting_id, claim->claims, claim->resumed ? ", resumed" : "");
      auto worker = std::make_unique<Worker>();
      Worker* raw = worker.get();
      workers_.push_back(std::move(worker));
      ++active_;
      raw->thread = std::thread([this, raw, c = *claim] {
        try {
          Work(c, *raw);
        } catch (const std::exception& e) {
          ++failed_;
          spdlog::error("recorder: recording {}: {}", c.recording_id, e.what());
        }
        --active_;
        raw->finished.store(true);
        wake_.notify_all();
      });
      continue;  // there may be more
    }
    wake_.wait_for(lock, options_.poll_interval);
  }
}

void RecorderLoop::Work(const Claim& claim, Worker& worker) {
  // Resumed after a crash with nothing left to record: deliver what the file holds.
  if (claim.resumed && !claim.meeting_active) {
    if (!claim.file_name || !fs::exists(fs::path(options_.output_dir) / *claim.file_name)) {
      client_.Fail(claim, fmt::format("the recorder that held it stopped and its file {} is not "
                                      "in {} on {}",
                                      claim.file_name.value_or("(none)"), options_.output_dir,
                                      options_.name));
      ++failed_;
      return;
    }
    spdlog::info("recorder: recording {}: delivering {} left by an earlier recorder",
                 claim.recording_id, *claim.file_name);
    // What the file holds is not known without reading it back: the manifest says "complete":
    // false, and ffprobe tells the rest.
    RecordingSummary unknown;
    unknown.sink_ok = false;
    Deliver(claim, {.meeting_id = claim.meeting_id, .file_name = *claim.file_name}, unknown);
    return;
  }

  MeetingRecorderOptions o;
  o.signalling_host = options_.signalling_host;
  o.signalling_port = options_.signalling_port;
  o.token = claim.token;
  o.meeting_id = claim.meeting_id;
  o.media_address = options_.media_address;
  o.output_dir = options_.output_dir;
  o.max_video_feeds = options_.max_video_feeds;
  o.heartbeat_interval = options_.heartbeat_interval;
  o.on_file = [this, &claim](const std::string& file_name) {
    client_.Progress(claim, "recording", file_name);
  };
  o.on_heartbeat = [this, &claim] { client_.Progress(claim, "recording", std::nullopt); };
  {
    std::lock_guard lock(mutex_);
    worker.recorder = std::make_unique<MeetingRecorder>(std::move(o));
    if (stopping_) worker.recorder->Stop();
  }
  MeetingRecorderResult result = worker.recorder->Run();
  if (!result.ok && (result.file_name.empty() || !fs::exists(result.file_path))) {
    client_.Fail(claim, result.error);
    ++failed_;
    return;
  }
  if (!result.ok) {
    spdlog::warn("recorder: recording {}: {}; delivering what the file holds", claim.recording_id,
                 result.error);
  }
  spdlog::info("recorder: recording {} ended ({}): {} s in {}", claim.recording_id,
               result.end_reason, result.summary.duration_us / 1'000'000, result.file_name);
  ManifestInfo info{.meeting_id = claim.meeting_id,
                    .file_name = result.file_name,
                    .epoch_start_ms = result.epoch_start_ms};
  Deliver(claim, info, result.summary);
}

void RecorderLoop::Deliver(const Claim& claim, ManifestInfo info, const RecordingSummary& summary) {
  const std::string file_name = info.file_name;
  client_.Progress(claim, "uploading", file_name);
  const fs::path path = fs::path(options_.output_dir) / file_name;
  const std::optional<std::string> sha256 = Sha256File(path.string());
  std::error_code ec;
  const auto size = static_cast<int64_t>(fs::file_size(path, ec));
  if (!sha256 || ec) {
    client_.Fail(claim, fmt::format("cannot read {}", path.string()));
    ++failed_;
    return;
  }
  info.sha256_hex = *sha256;
  info.size_bytes = static_cast<uint64_t>(size);
  const std::string manifest_text = ManifestJson(info, summary);
  fs::path manifest_path = path;
  manifest_path.replace_extension(".manifest.json");
  if (!WriteFileAtomically(manifest_path.string(), manifest_text)) {
    spdlog::warn("recorder: cannot write {}", manifest_path.string());
  }

  Completion completion{.sha256 = *sha256,
                        .size_bytes = size,
                        .duration_ms = summary.duration_us / 1000,
                        .manifest = manifest_text};
  if (options_.s3) {
    S3Client s3(*options_.s3);
    MultipartUploader uploader(s3, {.file_path = path.string(),
                                    .key = file_name,
                                    .journal_path = path.string() + ".upload.json"});
    if (!uploader.Finish()) {
      client_.Fail(claim, fmt::format("upload failed ({}); the file is kept at {}",
                                      uploader.error(), path.string()));
      ++failed_;
      return;
    }
    std::string manifest_key = file_name;
    manifest_key.replace(manifest_key.rfind('.'), std::string::npos, ".manifest.json");
    s3.PutObject(
        manifest_key,
        std::span(reinterpret_cast<const uint8_t*>(manifest_text.data()), manifest_text.size()),
        "application/json");
    completion.location = fmt::format("s3://{}/{}", options_.s3->bucket, file_name);
    completion.link = s3.PresignGet(file_name, options_.link_ttl);
    completion.link_expires_in_s = options_.link_ttl.count();
  } else {
    completion.location = "file://" + fs::absolute(path).string();
    completion.link = completion.location;
  }
  client_.Complete(claim, completion);
  ++completed_;
  spdlog::info("recorder: recording {} delivered to {}", claim.recording_id, completion.location);
}

}  // namespace mgw::rec
