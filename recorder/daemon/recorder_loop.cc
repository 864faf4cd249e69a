#include "recorder_loop.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "meeting_recorder.h"
#include "mgw/rec/manifest.h"
#include "mgw/rec/multipart_uploader.h"

namespace mgw::rec {
namespace fs = std::filesystem;

namespace {

// The upload thread of one recording: every `interval` it sends the full parts of the file
// being recorded (MultipartUploader::Pump; each part journaled beside the file), so the upload
// runs while the meeting does. When the recorder moves to a new segment the previous file's
// upload stays open; delivery finishes every segment (Finish resumes its journal). Blocking
// S3 calls happen on this thread only; the recording thread just names the current file.
class UploadPump {
 public:
  UploadPump(const S3Config& s3, std::string output_dir, uint64_t part_size,
             std::chrono::milliseconds interval)
      : client_(s3),
        output_dir_(std::move(output_dir)),
        part_size_(part_size),
        interval_(interval) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~UploadPump() { Stop(); }

  void SetFile(const std::string& file_name) {
    {
      std::lock_guard lock(mutex_);
      file_name_ = file_name;
    }
    wake_.notify_all();
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_ptr<MultipartUploader> uploader;
    std::string current;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, interval_);
      if (stopping_ || file_name_.empty()) continue;
      const std::string file_name = file_name_;
      lock.unlock();
      if (file_name != current) {
        current = file_name;
        const std::string path = (fs::path(output_dir_) / file_name).string();
        uploader = std::make_unique<MultipartUploader>(
            client_, MultipartUploader::Options{.file_path = path,
                                                .key = file_name,
                                                .journal_path = path + ".upload.json",
                                                .part_size = part_size_});
      }
      if (uploader && !uploader->Pump()) {
        // Delivery reports it (the journal says failed); the local file stays.
        spdlog::warn("recorder: streaming upload of {}: {}", current, uploader->error());
        uploader.reset();
      }
      lock.lock();
    }
  }

  S3Client client_;
  std::string output_dir_;
  uint64_t part_size_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string file_name_;  // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace

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

std::vector<DeliverySegment> RecorderLoop::FilesLeftBehind(const std::string& meeting_id) const {
  std::vector<DeliverySegment> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.output_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string prefix = meeting_id + "_";
    if (!name.starts_with(prefix) || entry.path().extension() != ".mkv") continue;
    const std::string epoch = name.substr(prefix.size(), name.size() - prefix.size() - 4);
    const bool digits =
        std::all_of(epoch.begin(), epoch.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (epoch.empty() || !digits) continue;
    DeliverySegment segment{.file_name = name, .epoch_start_ms = std::stoll(epoch)};
    // What the file holds is not known without reading it back: the manifest says "complete":
    // false, and ffprobe tells the rest.
    segment.summary.sink_ok = false;
    out.push_back(std::move(segment));
  }
  std::sort(out.begin(), out.end(), [](const DeliverySegment& a, const DeliverySegment& b) {
    return a.epoch_start_ms < b.epoch_start_ms;
  });
  return out;
}

void RecorderLoop::Work(const Claim& claim, Worker& worker) {
  // Resumed after a crash: the files the earlier recorder left belong to this recording.
  std::vector<DeliverySegment> segments;
  if (claim.resumed) segments = FilesLeftBehind(claim.meeting_id);
  if (claim.resumed && !claim.meeting_active) {
    // Nothing left to record: deliver what the files hold.
    if (segments.empty()) {
      client_.Fail(claim, fmt::format("the recorder that held it stopped and its file {} is not "
                                      "in {} on {}",
                                      claim.file_name.value_or("(none)"), options_.output_dir,
                                      options_.name));
      ++failed_;
      return;
    }
    spdlog::info("recorder: recording {}: delivering {} file(s) left by an earlier recorder",
                 claim.recording_id, segments.size());
    Deliver(claim, segments);
    return;
  }
  if (!segments.empty()) {
    spdlog::info(
        "recorder: recording {}: {} file(s) left by an earlier recorder; recording the "
        "rest of the meeting into a new one",
        claim.recording_id, segments.size());
  }

  // With a bucket the file streams to S3 while it is recorded.
  std::unique_ptr<UploadPump> pump;
  if (options_.s3) {
    pump = std::make_unique<UploadPump>(*options_.s3, options_.output_dir, options_.part_size,
                                        options_.upload_interval);
  }
  MeetingRecorderOptions o;
  o.signalling_host = options_.signalling_host;
  o.signalling_port = options_.signalling_port;
  o.token = claim.token;
  o.meeting_id = claim.meeting_id;
  o.media_address = options_.media_address;
  o.output_dir = options_.output_dir;
  o.max_video_feeds = options_.max_video_feeds;
  o.recording.mix_audio = options_.mix_audio;
  o.receive_batch = options_.receive_batch;
  o.heartbeat_interval = options_.heartbeat_interval;
  o.on_file = [this, &claim, &pump](const std::string& file_name) {
    if (pump) pump->SetFile(file_name);
    client_.Progress(claim, "recording", file_name);
  };
  o.on_heartbeat = [this, &claim] { client_.Progress(claim, "recording", std::nullopt); };
  {
    std::lock_guard lock(mutex_);
    worker.recorder = std::make_unique<MeetingRecorder>(std::move(o));
    if (stopping_) worker.recorder->Stop();
  }
  MeetingRecorderResult result = worker.recorder->Run();
  if (pump) pump->Stop();  // delivery finishes the uploads
  for (const RecordedSegment& segment : result.segments) {
    if (!fs::exists(segment.file_path)) continue;  // nothing arrived: no file
    segments.push_back({.file_name = segment.file_name,
                        .epoch_start_ms = segment.epoch_start_ms,
                        .summary = segment.summary});
  }
  if (segments.empty()) {
    client_.Fail(claim, result.ok ? "no media arrived: nothing was recorded" : result.error);
    ++failed_;
    return;
  }
  if (!result.ok) {
    spdlog::warn("recorder: recording {}: {}; delivering what the files hold", claim.recording_id,
                 result.error);
  }
  spdlog::info("recorder: recording {} ended ({}): {} file(s), the last {}", claim.recording_id,
               result.end_reason, segments.size(), segments.back().file_name);
  Deliver(claim, segments);
}

void RecorderLoop::Deliver(const Claim& claim, const std::vector<DeliverySegment>& segments) {
  client_.Progress(claim, "uploading", segments.front().file_name);
  std::optional<S3Client> s3;
  if (options_.s3) s3.emplace(*options_.s3);
  std::vector<Completion> done;
  for (const DeliverySegment& segment : segments) {
    const std::string& file_name = segment.file_name;
    const fs::path path = fs::path(options_.output_dir) / file_name;
    const std::optional<std::string> sha256 = Sha256File(path.string());
    std::error_code ec;
    const auto size = static_cast<int64_t>(fs::file_size(path, ec));
    if (!sha256 || ec) {
      client_.Fail(claim, fmt::format("cannot read {}", path.string()));
      ++failed_;
      return;
    }
    ManifestInfo info{.meeting_id = claim.meeting_id,
                      .file_name = file_name,
                      .epoch_start_ms = segment.epoch_start_ms,
                      .size_bytes = static_cast<uint64_t>(size),
                      .sha256_hex = *sha256};
    const std::string manifest_text = ManifestJson(info, segment.summary);
    fs::path manifest_path = path;
    manifest_path.replace_extension(".manifest.json");
    if (!WriteFileAtomically(manifest_path.string(), manifest_text)) {
      spdlog::warn("recorder: cannot write {}", manifest_path.string());
    }
    Completion completion{.sha256 = *sha256,
                          .size_bytes = size,
                          .duration_ms = segment.summary.duration_us / 1000,
                          .manifest = manifest_text,
                          .file_name = file_name};
    if (s3) {
      // Resumes the journal the upload thread (or an earlier recorder) kept: only the rest.
      MultipartUploader uploader(*s3, {.file_path = path.string(),
                                       .key = file_name,
                                       .journal_path = path.string() + ".upload.json",
                                       .part_size = options_.part_size});
      if (!uploader.Finish()) {
        client_.Fail(claim, fmt::format("upload failed ({}); the file is kept at {}",
                                        uploader.error(), path.string()));
        ++failed_;
        return;
      }
      std::string manifest_key = file_name;
      manifest_key.replace(manifest_key.rfind('.'), std::string::npos, ".manifest.json");
      s3->PutObject(
          manifest_key,
          std::span(reinterpret_cast<const uint8_t*>(manifest_text.data()), manifest_text.size()),
          "application/json");
      completion.location = fmt::format("s3://{}/{}", options_.s3->bucket, file_name);
      completion.link = s3->PresignGet(file_name, options_.link_ttl);
      completion.link_expires_in_s = options_.link_ttl.count();
    } else {
      completion.location = "file://" + fs::absolute(path).string();
      completion.link = completion.location;
    }
    done.push_back(std::move(completion));
  }
  // The first file is the recording's location, as before; `segments` lists every one.
  Completion completion = done.front();
  completion.segments = done;
  client_.Complete(claim, completion);
  ++completed_;
  spdlog::info("recorder: recording {} delivered to {} ({} file(s))", claim.recording_id,
               completion.location, done.size());
}

}  // namespace mgw::rec
