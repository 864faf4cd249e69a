// mgw-recorder-bench: mgw's recorder against `ffmpeg -i session.sdp -c copy` receiving the same
// RTP (libopus + libvpx VP8 per participant, replayed at real-time pace over loopback UDP) on the
// same machine, in the same run. Two figures, each as a ratio mgw / ffmpeg:
//   1. CPU seconds per recorded stream-hour (utime + stime of the receiving process);
//   2. the most concurrent participants (audio + video each) one core records without loss or
//      lateness (both receivers pinned to one CPU with taskset; N doubled until a trial fails,
//      then bisected).
// mgw's side is mgw-recorder-pipe (this folder): the recorder's media path (Recording +
// MatroskaSink on one asio thread) without the control plane and the dataplane; ffmpeg receives
// straight from the sender too, so neither side pays for a forwarder. See perf/README.md.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "media_plan.h"
#include "receiver_process.h"
#include "rtp_replayer.h"

namespace mgw::recbench {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kSsrcBase = 0x10000000;
// A receiver whose queue takes longer than this to drain after the sender stops was behind by
// that much: the recorder's jitter buffer waits 200 ms for a hole, so later is as good as lost.
constexpr double kMaxDrainMs = 200;
// A sender more than this behind its schedule sent bursts, not real-time media (busy machine).
constexpr double kMaxSenderLagMs = 100;

struct Options {
  bool quick = false;
  std::string out = "mgw-recorder-bench-out";
  std::string work_dir;
  std::vector<std::string> receivers{"ffmpeg", "mgw"};
  int cpu = -1;
  int receiver_nice = 0;
  int cpu_attempts = 3;
  int rounds = 3;
  int participants = 32;
  double duration = 8;
  bool search = true;
  double trial_duration = 3;
  int search_start = 32;
  int search_max = 1024;
  int search_steps = 2;
  int max_trials = 8;
  double loop_seconds = 10;
  int width = 640;
  int height = 360;
  int fps = 30;
  int gop = 90;
  int video_kbps = 500;
  std::string ffmpeg = "ffmpeg";
  std::string ffprobe = "ffprobe";
};

struct Trial {
  std::string receiver;
  int participants = 0;
  double seconds = 0;      // sending time
  double cpu_seconds = 0;  // of the receiver, first packet to drained
  double cpu_share = 0;    // cpu_seconds / wall seconds of that window
  double cpu_per_stream_hour = 0;
  uint64_t frames_sent = 0;
  uint64_t frames_written = 0;
  uint64_t worst_stream_missing = 0;
  uint64_t kernel_drops = 0;
  double drain_ms = 0;
  double sender_lag_ms = 0;
  double offered_mbps = 0;
  bool sender_limited = false;  // the sender fell behind its schedule: the trial says nothing
  bool ok = false;
  std::string error;  // the harness could not measure (not a loss)
  std::string command;
  int round = 0;    // CPU measurement: which round (0: a capacity trial)
  int attempt = 1;  // CPU measurement: which attempt
};

int DefaultCpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  int last = 0;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) last = c;
  }
  return last;
}

// Keeps the harness (the sender) off the receiver's CPU when there is another one.
void AvoidCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  if (CPU_COUNT(&set) < 2 || !CPU_ISSET(cpu, &set)) return;
  CPU_CLR(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

std::string Run(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return output;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  pclose(pipe);
  return output;
}

// Packets per stream index in a media file, with ffprobe (the same count for both receivers).
std::vector<uint64_t> CountPackets(const Options& o, const std::string& file) {
  const std::string text = Run(o.ffprobe +
                               " -v error -count_packets -show_entries "
                               "stream=index,nb_read_packets -of json '" +
                               file + "' 2>/dev/null");
  std::vector<uint64_t> counts;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object() || !v.as_object().contains("streams")) return counts;
  for (const json::value& s : v.as_object().at("streams").as_array()) {
    const auto index = static_cast<size_t>(s.at("index").to_number<int64_t>());
    const json::value* n = s.as_object().if_contains("nb_read_packets");
    if (counts.size() <= index) counts.resize(index + 1, 0);
    if (n && n->is_string()) counts[index] = std::stoull(std::string(n->as_string()));
  }
  return counts;
}

std::string SelfDir() { return fs::read_symlink("/proc/self/exe").parent_path().string(); }

Trial RunTrial(const Options& o, const MediaPlan& plan, const std::string& receiver, int n,
               double seconds, const fs::path& dir) {
  Trial t;
  t.receiver = receiver;
  t.participants = n;
  fs::create_directories(dir);
  const std::string file = (dir / "out.mkv").string();
  std::set<uint16_t> ports;
  std::vector<ReplayTarget> targets(static_cast<size_t>(n));
  std::vector<std::string> argv;
  // Stream index in the output file of participant i's audio and video.
  std::vector<int> audio_stream(static_cast<size_t>(n)), video_stream(static_cast<size_t>(n));
  if (receiver == "ffmpeg") {
    // One SDP with every stream (as one recording of a meeting), RTP on even ports, RTCP on +1.
    // `-map 0` keeps every stream (ffmpeg picks one audio and one video otherwise); with the
    // default 5 MB `-probesize` ffmpeg gives up on video streams whose first keyframe it has not
    // seen yet from about 96 participants on ("dimensions not set"), hence 100M.
    const uint16_t base = FindFreeUdpPorts(4 * n);
    std::ofstream sdp(dir / "session.sdp");
    sdp << "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=mgw-recorder-bench\r\nc=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\n";
    for (int i = 0; i < n; ++i) {
      const auto a = static_cast<uint16_t>(base + 4 * i), v = static_cast<uint16_t>(a + 2);
      sdp << "m=audio " << a << " RTP/AVP " << int{kOpusPayloadType}
          << "\r\na=rtpmap:" << int{kOpusPayloadType} << " opus/48000/2\r\n";
      sdp << "m=video " << v << " RTP/AVP " << int{kVp8PayloadType}
          << "\r\na=rtpmap:" << int{kVp8PayloadType} << " VP8/90000\r\n";
      targets[static_cast<size_t>(i)] = {Loopback(a), Loopback(a + 1), Loopback(v),
                                         Loopback(v + 1)};
      for (int k = 0; k < 4; ++k) ports.insert(static_cast<uint16_t>(a + k));
      audio_stream[static_cast<size_t>(i)] = 2 * i;
      video_stream[static_cast<size_t>(i)] = 2 * i + 1;
    }
    sdp.close();
    argv = {o.ffmpeg,
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "warning",
            "-protocol_whitelist",
            "file,udp,rtp",
            "-probesize",
            "100M",
            "-i",
            (dir / "session.sdp").string(),
            "-map",
            "0",
            "-c",
            "copy",
            "-y",
            file};
  } else {
    const uint16_t port = FindFreeUdpPorts(1);
    for (int i = 0; i < n; ++i) {
      targets[static_cast<size_t>(i)] = {Loopback(port), Loopback(port), Loopback(port),
                                         Loopback(port)};
    }
    ports.insert(port);
    argv = {SelfDir() + "/mgw-recorder-pipe",
            "--port",
            std::to_string(port),
            "--participants",
            std::to_string(n),
            "--ssrc-base",
            std::to_string(kSsrcBase),
            "--out",
            file,
            "--summary",
            (dir / "summary.json").string()};
    if (receiver == "mgw-recvmmsg") {
      argv.push_back("--recvmmsg");
      argv.push_back("1");
    }
  }
  t.command = (o.receiver_nice != 0 ? "nice -n " + std::to_string(o.receiver_nice) + " " : "") +
              "taskset -c " + std::to_string(o.cpu);
  for (const std::string& a : argv) t.command += " " + a;

  ReceiverProcess child(argv, o.cpu, o.receiver_nice, (dir / "receiver.log").string());
  // Ready once every socket is bound.
  const auto ready_deadline = Clock::now() + std::chrono::seconds(20);
  while (ReadUdpPortStats(ports).sockets < static_cast<int>(ports.size())) {
    if (!child.Running() || Clock::now() > ready_deadline) {
      t.error = receiver + " did not bind its ports; see " + (dir / "receiver.log").string();
      return t;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the sockets
  }

  const double cpu0 = child.CpuSeconds();
  const Clock::time_point t0 = Clock::now();
  const ReplayResult sent = Replay(plan, targets, kSsrcBase, seconds);
  const Clock::time_point sent_at = Clock::now();

  // Drained: the receive queues are empty and the process is (nearly) idle over 100 ms.
  const auto drain_deadline = sent_at + std::chrono::seconds(10);
  double last_cpu = child.CpuSeconds();
  Clock::time_point last_at = Clock::now();
  Clock::time_point drained_at = drain_deadline;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // sampling interval
    const double cpu = child.CpuSeconds();
    const Clock::time_point now = Clock::now();
    if (ReadUdpPortStats(ports).rx_queue == 0 && cpu - last_cpu < 0.02) {
      drained_at = last_at;
      break;
    }
    last_cpu = cpu;
    last_at = now;
    if (now > drain_deadline || !child.Running()) break;
  }
  const double cpu1 = child.CpuSeconds();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  t.kernel_drops = ReadUdpPortStats(ports).drops;
  t.drain_ms =
      std::max(0.0, std::chrono::duration<double, std::milli>(drained_at - sent_at).count());
  // ffmpeg checks its SIGINT between packets only, and its RTP read waits 10 s for one: a packet
  // every 100 ms (participant 0's audio running on) lets it see the signal and write its trailer.
  // A second signal would abort the trailer.
  std::vector<uint8_t> nudge = sent.next_audio_packet;
  const int status =
      receiver == "ffmpeg"
          ? child.Stop(SIGINT, 20, [&] { SendAndAdvance(nudge, targets[0].audio_rtp); })
          : child.Stop(SIGTERM, 20);
  // ffmpeg exits with 255 after a signal, its file complete ("Exiting normally, received signal").
  if (status != 0 && !(receiver == "ffmpeg" && status == 255)) {
    t.error = receiver + " exited with " + std::to_string(status) + "; see " +
              (dir / "receiver.log").string();
  }

  t.seconds = sent.seconds;
  t.sender_lag_ms = sent.max_lag_ms;
  t.sender_limited = sent.max_lag_ms > kMaxSenderLagMs;
  t.offered_mbps = static_cast<double>(sent.bytes) * 8 / 1e6 / std::max(sent.seconds, 1e-9);
  t.cpu_seconds = cpu1 - cpu0;
  t.cpu_share = t.cpu_seconds / wall;
  t.cpu_per_stream_hour = t.cpu_seconds / (2.0 * n * sent.seconds / 3600.0);

  if (receiver != "ffmpeg") {
    std::ifstream in(dir / "summary.json");
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    json::value summary = json::parse(text.str(), ec);
    if (ec || !summary.is_object()) {
      if (t.error.empty()) t.error = "mgw-recorder-pipe wrote no summary";
    } else {
      const json::array& tracks = summary.at("tracks").as_array();
      for (int i = 0; i < n && static_cast<size_t>(2 * i + 1) < tracks.size(); ++i) {
        audio_stream[static_cast<size_t>(i)] =
            static_cast<int>(tracks[2 * static_cast<size_t>(i)].at("stream").to_number<int64_t>());
        video_stream[static_cast<size_t>(i)] = static_cast<int>(
            tracks[2 * static_cast<size_t>(i) + 1].at("stream").to_number<int64_t>());
      }
    }
  }
  const std::vector<uint64_t> counts = CountPackets(o, file);
  auto written = [&](int stream) -> uint64_t {
    return stream >= 0 && static_cast<size_t>(stream) < counts.size()
               ? counts[static_cast<size_t>(stream)]
               : 0;
  };
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    for (auto [frames, stream] : {std::pair{sent.audio_frames[i], audio_stream[i]},
                                  std::pair{sent.video_frames[i], video_stream[i]}}) {
      const uint64_t w = written(stream);
      t.frames_sent += frames;
      t.frames_written += w;
      t.worst_stream_missing = std::max(t.worst_stream_missing, frames > w ? frames - w : 0);
    }
  }
  // At most one frame per stream may be missing (the last one, still open when the sender
  // stopped); more, a kernel drop or a slow drain is a failed trial.
  t.ok = t.error.empty() && t.kernel_drops == 0 && t.worst_stream_missing <= 1 &&
         t.drain_ms <= kMaxDrainMs;
  if (t.error.empty()) fs::remove(file);  // keep the logs, not the media
  return t;
}

json::object TrialJson(const Trial& t) {
  return {{"receiver", t.receiver},
          {"participants", t.participants},
          {"streams", 2 * t.participants},
          {"seconds", t.seconds},
          {"cpu_seconds", t.cpu_seconds},
          {"cpu_share", t.cpu_share},
          {"cpu_seconds_per_stream_hour", t.cpu_per_stream_hour},
          {"frames_sent", t.frames_sent},
          {"frames_written", t.frames_written},
          {"worst_stream_missing_frames", t.worst_stream_missing},
          {"kernel_drops", t.kernel_drops},
          {"drain_ms", t.drain_ms},
          {"sender_max_lag_ms", t.sender_lag_ms},
          {"sender_limited", t.sender_limited},
          {"offered_mbps", t.offered_mbps},
          {"ok", t.ok},
          {"round", t.round},
          {"attempt", t.attempt},
          {"error", t.error},
          {"command", t.command}};
}

struct Capacity {
  std::string receiver;
  int participants = 0;         // the most that passed (0: none did)
  bool capped = false;          // the search stopped at --search-max without a failure
  bool sender_limited = false;  // it stopped because the sender could not keep its pace twice
  std::vector<Trial> trials;
};

Capacity Search(const Options& o, const MediaPlan& plan, const std::string& receiver,
                const fs::path& dir) {
  Capacity c;
  c.receiver = receiver;
  int good = 0, bad = 0;
  // A failed trial whose sender fell behind says nothing (the receiver got a burst, not
  // real-time media): it is run once more, and if that one is no better the search stops. A
  // passed trial with a late sender counts: the receiver kept up with worse than real time.
  auto trial = [&](int n) {
    for (int attempt = 1;; ++attempt) {
      std::cerr << "  " << receiver << ": " << n << " participants ... " << std::flush;
      Trial t = RunTrial(
          o, plan, receiver, n, o.trial_duration,
          dir / (receiver + "-search-" + std::to_string(n) + "-" + std::to_string(attempt)));
      std::cerr << (t.ok ? "ok" : "FAIL") << " (cpu " << static_cast<int>(t.cpu_share * 100)
                << " %, drops " << t.kernel_drops << ", missing " << t.worst_stream_missing
                << ", drain " << static_cast<int>(t.drain_ms) << " ms, sender lag "
                << static_cast<int>(t.sender_lag_ms) << " ms" << (t.error.empty() ? "" : ", ")
                << t.error << ")\n";
      const bool ok = t.ok;
      const bool inconclusive = !ok && t.sender_limited;
      t.attempt = attempt;
      c.trials.push_back(std::move(t));
      if (!inconclusive) return ok;
      if (attempt >= 2) {
        c.sender_limited = true;
        return false;
      }
    }
  };
  for (int n = o.search_start;; n = std::min(2 * n, o.search_max)) {
    if (static_cast<int>(c.trials.size()) >= o.max_trials) break;
    const bool ok = trial(n);
    if (c.sender_limited) break;
    if (ok) {
      good = n;
      if (n >= o.search_max) {
        c.capped = true;
        break;
      }
    } else {
      bad = n;
      break;
    }
  }
  if (bad > 0 && good == 0 && !c.sender_limited) {
    // Below the start: halve down to 1.
    for (int n = bad / 2; n >= 1 && static_cast<int>(c.trials.size()) < o.max_trials; n /= 2) {
      if (trial(n)) {
        good = n;
        break;
      }
      bad = n;
    }
  }
  for (int step = 0; step < o.search_steps && !c.sender_limited && good > 0 && bad > good + 1 &&
                     static_cast<int>(c.trials.size()) < o.max_trials;
       ++step) {
    const int mid = (good + bad) / 2;
    if (trial(mid)) {
      good = mid;
    } else {
      bad = mid;
    }
  }
  c.participants = good;
  return c;
}

std::optional<double> Ratio(double a, double b) {
  if (a <= 0 || b <= 0) return std::nullopt;
  return a / b;
}

struct RatioStats {
  std::vector<double> values;  // one per round, in order
  std::optional<double> Median() const {
    if (values.empty()) return std::nullopt;
    std::vector<double> v = values;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }
  json::array Json() const {
    json::array a;
    for (double v : values) a.push_back(v);
    return a;
  }
};

json::value Opt(const std::optional<double>& v) { return v ? json::value(*v) : json::value(); }
std::string Num(const std::optional<double>& v) { return v ? std::to_string(*v) : ""; }

std::string Machine() {
  std::ifstream in("/proc/loadavg");
  std::string load;
  std::getline(in, load);
  return "cpus " + std::to_string(std::thread::hardware_concurrency()) + ", loadavg " + load;
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"mgw-recorder-bench: mgw's recorder against ffmpeg -c copy on the same RTP"};
  app.add_flag("--quick", o.quick, "CI smoke run (< 30 s), no speed asserted");
  app.add_option("--out", o.out, "output folder (results.json, results.csv, logs/)");
  app.add_option("--work-dir", o.work_dir, "where trials write (default: a temporary folder)");
  app.add_option("--receivers", o.receivers,
                 "ffmpeg, mgw (and mgw-recvmmsg: the recorder's path reading with recvmmsg, an "
                 "experiment)")
      ->delimiter(',');
  app.add_option("--cpu", o.cpu, "the CPU the receiver is pinned to (default: the last one)");
  app.add_option("--receiver-nice", o.receiver_nice,
                 "nice value of the receivers (0; negative needs root)");
  app.add_option("--participants", o.participants, "participants in the CPU measurement");
  app.add_option("--cpu-attempts", o.cpu_attempts,
                 "repeats of a CPU measurement that lost packets or whose sender fell behind");
  app.add_option("--duration", o.duration, "seconds of the CPU measurement per receiver");
  app.add_option("--rounds", o.rounds, "rounds of the CPU measurement (every receiver once each)");
  app.add_flag("!--no-search", o.search, "skip the one-core capacity search");
  app.add_option("--trial-duration", o.trial_duration, "seconds per capacity trial");
  app.add_option("--search-start", o.search_start, "first N of the capacity search");
  app.add_option("--search-max", o.search_max, "largest N tried");
  app.add_option("--search-steps", o.search_steps, "bisection steps after the doubling");
  app.add_option("--max-trials", o.max_trials, "capacity trials per receiver at most");
  app.add_option("--loop-seconds", o.loop_seconds,
                 "seconds of generated media (replayed in a loop)");
  app.add_option("--width", o.width, "VP8 width");
  app.add_option("--height", o.height, "VP8 height");
  app.add_option("--fps", o.fps, "VP8 frames per second");
  app.add_option("--gop", o.gop, "VP8 keyframe interval in frames");
  app.add_option("--video-kbps", o.video_kbps, "VP8 target bitrate");
  app.add_option("--ffmpeg", o.ffmpeg, "the ffmpeg binary");
  app.add_option("--ffprobe", o.ffprobe, "the ffprobe binary");
  CLI11_PARSE(app, argc, argv);
  if (o.quick) {
    o.participants = 2;
    o.duration = 3;
    o.rounds = 1;
    o.trial_duration = 2;
    o.search_start = 2;
    o.search_max = 4;
    o.search_steps = 0;
    o.max_trials = 2;
    o.loop_seconds = 2;
    o.width = 320;
    o.height = 180;
    o.video_kbps = 250;
  }
  if (o.cpu < 0) o.cpu = DefaultCpu();
  if (o.participants < 1 || o.rounds < 1 || o.duration <= 0 || o.trial_duration <= 0 ||
      o.search_start < 1 || o.loop_seconds < 1 || std::floor(o.loop_seconds) != o.loop_seconds) {
    std::cerr << "mgw-recorder-bench: --participants, --rounds and --search-start must be >= 1, "
                 "durations "
                 "> 0, --loop-seconds a whole number >= 1\n";
    return 2;
  }
  for (const std::string& r : o.receivers) {
    if (r != "ffmpeg" && r != "mgw" && r != "mgw-recvmmsg") {
      std::cerr << "mgw-recorder-bench: --receivers takes ffmpeg, mgw and mgw-recvmmsg, not " << r
                << "\n";
      return 2;
    }
  }
  if (Run(o.ffmpeg + " -version 2>/dev/null").empty() ||
      Run(o.ffprobe + " -version 2>/dev/null").empty()) {
    std::cerr << "mgw-recorder-bench: needs ffmpeg and ffprobe (Debian package ffmpeg)\n";
    return 2;
  }
  AvoidCpu(o.cpu);
  // The sender is light but must keep real-time pace on a busy machine: raise its priority when
  // allowed (root). The receivers get --receiver-nice, not this.
  setpriority(PRIO_PROCESS, 0, -10);
  // ffmpeg opens two sockets per stream: 4 per participant.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  const bool own_work_dir = o.work_dir.empty();
  fs::path work =
      own_work_dir ? fs::temp_directory_path() / ("mgw-recorder-bench-" + std::to_string(getpid()))
                   : fs::path(o.work_dir);
  fs::create_directories(work);
  fs::create_directories(o.out);

  const Clock::time_point began = Clock::now();
  std::cerr << "generating " << o.loop_seconds << " s of Opus and " << o.width << "x" << o.height
            << " VP8 ...\n";
  const MediaPlan plan =
      BuildMediaPlan(o.loop_seconds, o.width, o.height, o.fps, o.gop, o.video_kbps);
  const double stream_kbps = static_cast<double>(plan.payload_bytes) * 8 / 1e3 / o.loop_seconds;
  const double participant_pps = static_cast<double>(plan.packets.size()) / o.loop_seconds;
  std::cerr << "one participant sends " << static_cast<int>(stream_kbps) << " kbit/s of payload in "
            << static_cast<int>(participant_pps) << " RTP packets/s (audio + video)\n";

  std::vector<Trial> cpu_trials;
  std::cerr << "CPU per stream-hour: " << o.rounds << " round(s) of " << o.participants
            << " participants, " << o.duration << " s per receiver, receiver on CPU " << o.cpu
            << "\n";
  for (int round = 1; round <= o.rounds; ++round) {
    for (const std::string& r : o.receivers) {
      // A busy machine can stall the sender (a burst the receiver's buffer cannot hold) or the
      // receiver: such a measurement counts the CPU of less work than was sent: repeated.
      for (int attempt = 1; attempt <= std::max(1, o.cpu_attempts); ++attempt) {
        Trial t =
            RunTrial(o, plan, r, o.participants, o.duration,
                     work / (r + "-cpu-" + std::to_string(round) + "-" + std::to_string(attempt)));
        const bool clean = t.ok && !t.sender_limited;
        std::cerr << "  round " << round << ", " << r << ": " << t.cpu_seconds << " CPU s over "
                  << t.seconds << " s = " << t.cpu_per_stream_hour << " CPU s per stream-hour"
                  << (clean ? "" : " (NOT clean: loss, lateness or a late sender)")
                  << (t.error.empty() ? "" : ": ") << t.error << "\n";
        t.round = round;
        t.attempt = attempt;
        const bool last = clean || !t.error.empty() || attempt >= o.cpu_attempts;
        cpu_trials.push_back(std::move(t));
        if (last) break;
      }
    }
  }
  std::vector<Capacity> capacities;
  if (o.search) {
    std::cerr << "participants one core records (CPU " << o.cpu << ", " << o.trial_duration
              << " s per trial)\n";
    for (const std::string& r : o.receivers) capacities.push_back(Search(o, plan, r, work));
  }

  // Per round, the last attempt of each receiver (the clean one, or the last tried); the figure
  // is the median of the rounds' ratios (the machine's load moves between rounds).
  auto cpu_of = [&](const std::string& r, int round) {
    double v = 0;
    for (const Trial& t : cpu_trials) {
      if (t.receiver == r && t.round == round) v = t.error.empty() ? t.cpu_per_stream_hour : 0;
    }
    return v;
  };
  auto cpu_ratio_of = [&](const std::string& r) {
    RatioStats stats;
    for (int round = 1; round <= o.rounds; ++round) {
      if (auto ratio = Ratio(cpu_of(r, round), cpu_of("ffmpeg", round))) {
        stats.values.push_back(*ratio);
      }
    }
    return stats;
  };
  auto capacity_of = [&](const std::string& r) {
    for (const Capacity& c : capacities) {
      if (c.receiver == r) return static_cast<double>(c.participants);
    }
    return 0.0;
  };
  const RatioStats cpu_rounds = cpu_ratio_of("mgw");
  const std::optional<double> cpu_ratio = cpu_rounds.Median();
  const std::optional<double> capacity_ratio = Ratio(capacity_of("mgw"), capacity_of("ffmpeg"));
  const RatioStats cpu_rounds_batch = cpu_ratio_of("mgw-recvmmsg");
  const std::optional<double> cpu_ratio_batch = cpu_rounds_batch.Median();
  const std::optional<double> capacity_ratio_batch =
      Ratio(capacity_of("mgw-recvmmsg"), capacity_of("ffmpeg"));
  const double elapsed = std::chrono::duration<double>(Clock::now() - began).count();

  json::object root;
  root["machine"] = Machine();
  root["receiver_cpu"] = o.cpu;
  root["receiver_nice"] = o.receiver_nice;
  root["quick"] = o.quick;
  root["elapsed_s"] = elapsed;
  root["media"] = {
      {"opus", "libopus, 48 kHz mono, 20 ms frames"},
      {"video", "libvpx VP8 " + std::to_string(o.width) + "x" + std::to_string(o.height) + " " +
                    std::to_string(o.fps) + " fps, keyframe every " + std::to_string(o.gop) +
                    " frames, " + std::to_string(o.video_kbps) + " kbit/s target"},
      {"participant_kbps", stream_kbps},
      {"participant_pps", participant_pps},
      {"loop_seconds", o.loop_seconds}};
  json::array cpu_json;
  for (const Trial& t : cpu_trials) cpu_json.push_back(TrialJson(t));
  root["cpu_per_stream_hour"] = {{"trials", cpu_json},
                                 {"ratio_mgw_to_ffmpeg", Opt(cpu_ratio)},
                                 {"ratio_per_round", cpu_rounds.Json()},
                                 {"ratio_mgw_recvmmsg_to_ffmpeg", Opt(cpu_ratio_batch)},
                                 {"ratio_mgw_recvmmsg_per_round", cpu_rounds_batch.Json()},
                                 {"target", "<= 0.5"}};
  json::array cap_json;
  for (const Capacity& c : capacities) {
    json::array trials;
    for (const Trial& t : c.trials) trials.push_back(TrialJson(t));
    cap_json.push_back({{"receiver", c.receiver},
                        {"participants", c.participants},
                        {"capped_at_search_max", c.capped},
                        {"stopped_by_sender", c.sender_limited},
                        {"trials", trials}});
  }
  root["one_core_capacity"] = {{"receivers", cap_json},
                               {"ratio_mgw_to_ffmpeg", Opt(capacity_ratio)},
                               {"ratio_mgw_recvmmsg_to_ffmpeg", Opt(capacity_ratio_batch)},
                               {"max_drain_ms", kMaxDrainMs}};
  std::ofstream(fs::path(o.out) / "results.json") << json::serialize(root) << '\n';

  std::ofstream csv(fs::path(o.out) / "results.csv");
  csv << "figure,round,receiver,participants,seconds,cpu_seconds,cpu_share,cpu_s_per_stream_hour,"
         "frames_sent,frames_written,kernel_drops,drain_ms,sender_lag_ms,ok,error\n";
  auto row = [&](const char* figure, const Trial& t) {
    csv << figure << ',' << t.round << ',' << t.receiver << ',' << t.participants << ','
        << t.seconds << ',' << t.cpu_seconds << ',' << t.cpu_share << ',' << t.cpu_per_stream_hour
        << ',' << t.frames_sent << ',' << t.frames_written << ',' << t.kernel_drops << ','
        << t.drain_ms << ',' << t.sender_lag_ms << ',' << (t.ok ? 1 : 0) << ",\"" << t.error
        << "\"\n";
  };
  for (const Trial& t : cpu_trials) row("cpu", t);
  for (const Capacity& c : capacities) {
    for (const Trial& t : c.trials) row("capacity", t);
  }
  csv << "# cpu_per_stream_hour ratio mgw/ffmpeg (median of rounds)," << Num(cpu_ratio) << "\n";
  for (const Capacity& c : capacities) {
    csv << "# one_core_participants," << c.receiver << ',' << c.participants
        << (c.capped ? " (capped)" : "") << (c.sender_limited ? " (sender fell behind)" : "")
        << "\n";
  }
  csv << "# one_core_capacity ratio mgw/ffmpeg," << Num(capacity_ratio) << "\n";
  if (cpu_ratio_batch) {
    csv << "# cpu_per_stream_hour ratio mgw-recvmmsg/ffmpeg," << Num(cpu_ratio_batch) << "\n";
  }
  if (capacity_ratio_batch) {
    csv << "# one_core_capacity ratio mgw-recvmmsg/ffmpeg," << Num(capacity_ratio_batch) << "\n";
  }

  // Logs of every trial beside the results; the media files are deleted.
  const fs::path logs = fs::path(o.out) / "logs";
  fs::create_directories(logs);
  for (const fs::directory_entry& d : fs::directory_iterator(work)) {
    for (const char* name : {"receiver.log", "session.sdp", "summary.json"}) {
      if (fs::exists(d.path() / name)) {
        fs::copy_file(d.path() / name, logs / (d.path().filename().string() + "-" + name),
                      fs::copy_options::overwrite_existing);
      }
    }
  }
  if (own_work_dir) fs::remove_all(work);

  std::cerr << "CPU per stream-hour, mgw / ffmpeg: " << Num(cpu_ratio)
            << " (median of the rounds; target <= 0.5); per round:";
  for (double v : cpu_rounds.values) std::cerr << ' ' << v;
  std::cerr << "\n";
  if (cpu_ratio_batch) {
    std::cerr << "CPU per stream-hour, mgw-recvmmsg / ffmpeg: " << Num(cpu_ratio_batch) << "\n";
  }
  for (const Capacity& c : capacities) {
    std::cerr << "one core records " << c.participants << (c.capped ? "+" : "")
              << " participants with " << c.receiver
              << (c.sender_limited ? " (search stopped: the sender fell behind)" : "") << "\n";
  }
  std::cerr << "one-core capacity, mgw / ffmpeg: " << Num(capacity_ratio) << "\n"
            << "results in " << o.out << " (" << static_cast<int>(elapsed) << " s)\n";
  for (const Trial& t : cpu_trials) {
    if (!t.error.empty()) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace mgw::recbench

int main(int argc, char** argv) { return mgw::recbench::Main(argc, argv); }
