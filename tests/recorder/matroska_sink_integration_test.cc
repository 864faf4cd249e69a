// The whole media path with real codecs: a libopus tone and libvpx VP8 are packetized into RTP
// (with reordering, duplication and one lost video packet), recorded through Recording into a
// MatroskaSink, and the file is checked with ffprobe and by decoding the tone back.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "media_fixture.h"
#include "mgw/rec/manifest.h"
#include "mgw/rec/matroska_sink.h"
#include "mgw/rec/recording.h"
#include "mgw/rec/sender_report_clock.h"
#include "rtp_fixture.h"
#include "temp_dir.h"

namespace mgw::rec {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
namespace json = boost::json;

constexpr uint32_t kAudioSsrc = 0x1111;
constexpr uint32_t kVideoSsrc = 0x2222;
constexpr uint32_t kAudioBase = 12345;
constexpr uint32_t kVideoBase = 678900;
constexpr double kSeconds = 5.0;
constexpr double kToneHz = 440.0;

struct Arrival {
  TimePoint at;
  int track;
  std::vector<uint8_t> packet;
};

// Every RTP packet of both streams with its arrival time, in arrival order. Video arrives 40 ms
// after the audio of the same instant (the sender reports say they were captured together).
std::vector<Arrival> BuildArrivals(TimePoint t0, int audio_track, int video_track, bool impair) {
  std::vector<Arrival> out;
  const auto opus = testing::EncodeOpusTone(kToneHz, kSeconds);
  uint16_t seq = 1000;
  for (const auto& f : opus) {
    const auto at = t0 + milliseconds(10) + microseconds(f.rtp_timestamp * 1000000LL / 48000);
    out.push_back({at, audio_track,
                   testing::Rtp({.ssrc = kAudioSsrc,
                                 .seq = seq++,
                                 .timestamp = kAudioBase + f.rtp_timestamp,
                                 .payload_type = 111},
                                f.data)});
  }
  const auto vp8 = testing::EncodeVp8(320, 240, 30, kSeconds, 30);
  uint16_t vseq = 60000;  // wraps during the recording
  for (const auto& f : vp8) {
    const auto at = t0 + milliseconds(50) + microseconds(f.rtp_timestamp * 1000000LL / 90000);
    const auto packets = testing::PacketizeVp8(f.data, 800);
    for (size_t i = 0; i < packets.size(); ++i) {
      out.push_back({at + microseconds(100 * i), video_track,
                     testing::Rtp({.ssrc = kVideoSsrc,
                                   .seq = vseq++,
                                   .timestamp = kVideoBase + f.rtp_timestamp,
                                   .marker = i + 1 == packets.size()},
                                  packets[i])});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.at < b.at; });
  if (impair) {
    // Swap neighbours now and then, duplicate some packets, lose one video packet at ~2.5 s,
    // in the middle of a GOP.
    for (size_t i = 5; i + 1 < out.size(); i += 37) {
      std::swap(out[i].packet, out[i + 1].packet);
      std::swap(out[i].track, out[i + 1].track);
    }
    for (size_t i = 11; i < out.size(); i += 101) {
      Arrival copy = out[i];
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(i), std::move(copy));
    }
    for (size_t i = out.size() / 2; i < out.size(); ++i) {
      if (out[i].track == video_track) {
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
  }
  return out;
}

struct Probe {
  json::object info;
  std::map<std::string, double> first_pts;  // by codec
  std::map<std::string, double> end;        // last pts + duration, by codec
  std::map<std::string, double> last_pts;   // by codec (video packets may carry no duration)
  std::map<std::string, int> packets;
};

Probe RunProbe(const std::string& path) {
  Probe probe;
  std::string out;
  const int rc = testing::RunCommand(
      "ffprobe -v error -of json -show_streams -show_format '" + path + "'", &out);
  EXPECT_EQ(rc, 0) << out;
  const json::value parsed = json::parse(out);
  if (!parsed.is_object()) {
    ADD_FAILURE() << "ffprobe printed: " << out;
    return probe;
  }
  probe.info = parsed.as_object();
  std::map<int64_t, std::string> codec_of;
  for (const auto& s : probe.info.at("streams").as_array()) {
    codec_of[s.at("index").as_int64()] = std::string(s.at("codec_name").as_string());
  }
  std::string packets;
  testing::RunCommand(
      "ffprobe -v error -of json -show_entries packet=stream_index,pts_time,duration_time '" +
          path + "'",
      &packets);
  const json::value packet_list = json::parse(packets);
  for (const auto& p : packet_list.at("packets").as_array()) {
    const auto& o = p.as_object();
    const std::string codec = codec_of[o.at("stream_index").as_int64()];
    const double pts = std::stod(std::string(o.at("pts_time").as_string()));
    const double duration =
        o.contains("duration_time") ? std::stod(std::string(o.at("duration_time").as_string())) : 0;
    if (!probe.first_pts.count(codec)) probe.first_pts[codec] = pts;
    probe.first_pts[codec] = std::min(probe.first_pts[codec], pts);
    probe.end[codec] = std::max(probe.end[codec], pts + duration);
    probe.last_pts[codec] = std::max(probe.last_pts[codec], pts);
    ++probe.packets[codec];
  }
  return probe;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct NoPli : Recording::Listener {
  int requests = 0;
  void OnKeyframeNeeded(int, uint32_t) override { ++requests; }
};

TEST(MatroskaSinkIntegrationTest, RecordsToneAndVideoThatFfprobeAndOpusRead) {
  mgw::testing::TempDir dir;
  const std::string name = RecordingFileName("meeting-1", 1700000000000);
  const std::string path = dir.File(name);
  MatroskaSink sink({.path = path});
  const TimePoint t0{};
  Recording::Options options;
  options.header_wait = milliseconds(2000);
  NoPli pli;
  Recording recording(sink, t0, options, &pli);
  const int audio = recording.AddTrack({"alice audio", Codec::kOpus, "alice"});
  const int video = recording.AddTrack({"alice video", Codec::kVp8, "alice"});
  const int64_t ntp0 = 3'900'000'000LL * 1'000'000;
  recording.OnRtcp(testing::SenderReport(kAudioSsrc, MicrosToNtp(ntp0), kAudioBase), t0);
  recording.OnRtcp(testing::SenderReport(kVideoSsrc, MicrosToNtp(ntp0), kVideoBase), t0);

  const auto arrivals = BuildArrivals(t0, audio, video, /*impair=*/true);
  std::string half;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    recording.OnRtp(arrivals[i].track, arrivals[i].packet, arrivals[i].at);
    recording.Poll(arrivals[i].at);
    if (i == arrivals.size() / 2) half = ReadAll(path);
  }
  ASSERT_TRUE(recording.Finish(arrivals.back().at + milliseconds(500))) << sink.error();
  const RecordingSummary summary = recording.Summary();

  // Append-only: what was on disk half way is a prefix of the final file (the uploader relies
  // on that).
  const std::string whole = ReadAll(path);
  ASSERT_GT(half.size(), 1000u);
  EXPECT_EQ(whole.compare(0, half.size(), half), 0);

  const Probe probe = RunProbe(path);
  const auto& streams = probe.info.at("streams").as_array();
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0].at("codec_name").as_string(), "opus");
  EXPECT_EQ(streams[1].at("codec_name").as_string(), "vp8");
  EXPECT_EQ(streams[1].at("width").as_int64(), 320);
  EXPECT_EQ(streams[1].at("height").as_int64(), 240);
  EXPECT_EQ(probe.info.at("format").at("format_name").as_string(), "matroska,webm");

  std::printf("audio %.3f..%.3f s (%d packets), video %.3f..%.3f s (%d packets)\n",
              probe.first_pts.at("opus"), probe.end.at("opus"), probe.packets.at("opus"),
              probe.first_pts.at("vp8"), probe.last_pts.at("vp8"), probe.packets.at("vp8"));
  // Durations within 1% of what was sent.
  const double audio_duration = probe.end.at("opus") - probe.first_pts.at("opus");
  const double video_duration = probe.last_pts.at("vp8") - probe.first_pts.at("vp8");
  EXPECT_NEAR(audio_duration, kSeconds, kSeconds * 0.01);
  EXPECT_NEAR(video_duration + 1.0 / 30, kSeconds, kSeconds * 0.01);
  EXPECT_NEAR(static_cast<double>(summary.duration_us) / 1e6, probe.last_pts.at("vp8") + 1.0 / 30,
              0.05);

  // Sender reports aligned the two streams though video arrived 40 ms later.
  EXPECT_LT(std::abs(probe.first_pts.at("opus") - probe.first_pts.at("vp8")), 0.020);
  EXPECT_TRUE(summary.tracks[1].sender_report_aligned);
  EXPECT_NEAR(static_cast<double>(summary.tracks[1].correction_us), -40'000, 1'000);

  // The lost video packet cost frames up to the next keyframe, and a keyframe request.
  EXPECT_EQ(summary.tracks[1].packets_lost, 1u);
  EXPECT_GE(pli.requests, 1);
  EXPECT_GT(summary.tracks[1].packets_duplicate + summary.tracks[0].packets_duplicate, 0u);
  EXPECT_LT(probe.packets.at("vp8"), 145);
  EXPECT_GT(probe.packets.at("vp8"), 115);
  EXPECT_EQ(probe.packets.at("opus"), 250);

  // The tone comes back out of the file.
  const auto samples = testing::DecodeOpusTrack(path);
  ASSERT_GT(samples.size(), 48000u * 4);
  const std::vector<float> middle(samples.begin() + 48000, samples.begin() + 3 * 48000L);
  const double tone = testing::GoertzelPower(middle, kToneHz, 48000);
  const double off = testing::GoertzelPower(middle, 1000.0, 48000);
  EXPECT_GT(tone, 1000 * off);
  std::printf("tone/off-tone power ratio %.0f\n", tone / off);

  // The manifest describes the file.
  ManifestInfo info{"meeting-1", name, 1700000000000, whole.size(), *Sha256File(path)};
  const auto manifest = json::parse(ManifestJson(info, summary)).as_object();
  EXPECT_EQ(manifest.at("sha256").as_string().size(), 64u);
  EXPECT_EQ(manifest.at("streams").as_array().size(), 2u);
  EXPECT_NEAR(manifest.at("duration_ms").as_double(), (probe.last_pts.at("vp8") + 1.0 / 30) * 1000,
              50);
}

TEST(MatroskaSinkIntegrationTest, H264FromStapAAndFuAPackets) {
  mgw::testing::TempDir dir;
  const std::string path = dir.File("h264_1.mkv");
  MatroskaSink sink({.path = path});
  const TimePoint t0{};
  Recording recording(sink, t0, {}, nullptr);
  const int video = recording.AddTrack({"bob video", Codec::kH264, ""});
  const auto frames = testing::EncodeH264(320, 240, 30, 3.0, 30);
  ASSERT_EQ(frames.size(), 90u);
  uint16_t seq = 1;
  size_t fragmented = 0;
  for (const auto& f : frames) {
    const auto at = t0 + milliseconds(20) + microseconds(f.rtp_timestamp * 1000000LL / 90000);
    const auto packets = testing::PacketizeH264(f.data, 500);
    for (size_t i = 0; i < packets.size(); ++i) {
      fragmented += (packets[i][0] & 0x1F) == 28;
      recording.OnRtp(video,
                      testing::Rtp({.ssrc = 0x3333,
                                    .seq = seq++,
                                    .timestamp = 5000 + f.rtp_timestamp,
                                    .marker = i + 1 == packets.size()},
                                   packets[i]),
                      at);
    }
    recording.Poll(at);
  }
  ASSERT_TRUE(recording.Finish(t0 + milliseconds(4000))) << sink.error();
  EXPECT_GT(fragmented, 0u);  // the keyframes at least did not fit in 500 bytes

  const Probe probe = RunProbe(path);
  const auto& streams = probe.info.at("streams").as_array();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0].at("codec_name").as_string(), "h264");
  EXPECT_EQ(streams[0].at("width").as_int64(), 320);
  EXPECT_EQ(streams[0].at("height").as_int64(), 240);
  EXPECT_EQ(probe.packets.at("h264"), 90);
  EXPECT_NEAR(probe.last_pts.at("h264") - probe.first_pts.at("h264") + 1.0 / 30, 3.0, 0.03);
  std::string out;
  EXPECT_EQ(testing::RunCommand("ffmpeg -v error -i '" + path + "' -f null - 2>&1", &out), 0);
  EXPECT_EQ(out, "");  // decodes without a single complaint
}

TEST(MatroskaSinkIntegrationTest, SigkilledWriterLeavesAPlayableFile) {
  mgw::testing::TempDir dir;
  const std::string path = dir.File("killed_1.mkv");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The recorder: writes 3 s of media, says so, then waits to be killed.
    close(ready[0]);
    MatroskaSink sink({.path = path});
    const TimePoint t0{};
    Recording recording(sink, t0, {}, nullptr);
    const int audio = recording.AddTrack({"audio", Codec::kOpus, ""});
    const int video = recording.AddTrack({"video", Codec::kVp8, ""});
    for (const auto& a : BuildArrivals(t0, audio, video, false)) {
      if (a.at > t0 + milliseconds(3000)) break;
      recording.OnRtp(a.track, a.packet, a.at);
      recording.Poll(a.at);
    }
    const char byte = 1;
    (void)!write(ready[1], &byte, 1);
    for (;;) pause();
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  const Probe probe = RunProbe(path);
  ASSERT_EQ(probe.info.at("streams").as_array().size(), 2u);
  std::printf("killed at 3 s of media: file plays audio to %.3f s, video to %.3f s\n",
              probe.end.at("opus"), probe.last_pts.at("vp8"));
  // Plays up to its last second: at most the open cluster (1 s) and the interleaving queue
  // (0.5 s) are lost.
  EXPECT_GT(probe.end.at("opus"), 3.0 - 1.6);
  EXPECT_GT(probe.last_pts.at("vp8"), 3.0 - 1.6);
  // And it decodes.
  std::string out;
  EXPECT_EQ(testing::RunCommand("ffmpeg -v error -i '" + path + "' -f null - 2>&1", &out), 0)
      << out;
}

}  // namespace
}  // namespace mgw::rec
