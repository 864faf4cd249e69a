// The recording's timing logic against a fake sink: no FFmpeg, injected time.
#include "mgw/rec/recording.h"

#include <gtest/gtest.h>

#include <vector>

#include "mgw/rec/manifest.h"
#include "mgw/rec/sender_report_clock.h"
#include "rtp_fixture.h"

namespace mgw::rec {
namespace {

using std::chrono::milliseconds;
using testing::Rtp;

struct FakeSink : MediaSink {
  struct Written {
    int stream;
    int64_t pts;
    bool keyframe;
    size_t size;
  };
  std::vector<SinkStream> streams;
  std::vector<Written> frames;
  bool closed = false;
  int AddStream(const SinkStream& s) override {
    if (!frames.empty()) return -1;
    streams.push_back(s);
    return static_cast<int>(streams.size()) - 1;
  }
  bool WriteFrame(int stream, int64_t pts, bool keyframe, std::span<const uint8_t> d) override {
    frames.push_back({stream, pts, keyframe, d.size()});
    return true;
  }
  bool Close() override {
    closed = true;
    return true;
  }
  std::vector<int64_t> Pts(int stream) const {
    std::vector<int64_t> out;
    for (const auto& f : frames) {
      if (f.stream == stream) out.push_back(f.pts);
    }
    return out;
  }
};

struct Pli : Recording::Listener {
  std::vector<std::pair<int, uint32_t>> requests;
  void OnKeyframeNeeded(int track, uint32_t ssrc) override { requests.emplace_back(track, ssrc); }
};

const std::vector<uint8_t> kVp8Key = {0x10, 0x10, 0x02, 0x00, 0x9d, 0x01,
                                      0x2a, 0x40, 0x01, 0xF0, 0x00, 0x55};
const std::vector<uint8_t> kVp8Inter = {0x10, 0x11, 0x02, 0x00, 0x66};
const std::vector<uint8_t> kOpus = {0xFC, 0x01, 0x02};

class RecordingTest : public ::testing::Test {
 protected:
  RecordingTest() : recording_(sink_, t0_, Options(), &pli_) {}
  static Recording::Options Options() {
    Recording::Options o;
    o.jitter.max_delay = milliseconds(60);
    o.header_wait = milliseconds(500);
    o.keyframe_request_interval = milliseconds(300);
    return o;
  }
  void Audio(int track, uint16_t seq, TimePoint at, uint32_t ssrc = 0xA) {
    recording_.OnRtp(
        track,
        Rtp({.ssrc = ssrc, .seq = seq, .timestamp = 1000u + seq * 960u, .payload_type = 111},
            kOpus),
        at);
  }
  void Video(int track, uint16_t seq, uint32_t ts, bool key, TimePoint at, uint32_t ssrc = 0xB) {
    recording_.OnRtp(
        track,
        Rtp({.ssrc = ssrc, .seq = seq, .timestamp = ts, .marker = true}, key ? kVp8Key : kVp8Inter),
        at);
  }
  TimePoint t0_{};
  FakeSink sink_;
  Pli pli_;
  Recording recording_;
};

TEST_F(RecordingTest, AudioOnlyTimelineFollowsRtpTimestamps) {
  const int a = recording_.AddTrack({"alice audio", Codec::kOpus, "alice"});
  for (uint16_t s = 0; s < 50; ++s) Audio(a, s, t0_ + milliseconds(100 + 20 * s));
  EXPECT_TRUE(recording_.file_open());
  ASSERT_TRUE(recording_.Finish(t0_ + milliseconds(2000)));
  ASSERT_EQ(sink_.streams.size(), 1u);
  EXPECT_EQ(sink_.streams[0].codec, Codec::kOpus);
  EXPECT_EQ(sink_.streams[0].clock_rate, 48000u);
  const auto pts = sink_.Pts(0);
  ASSERT_EQ(pts.size(), 50u);
  EXPECT_EQ(pts[0], 100 * 48);  // first frame where it arrived: 100 ms
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_EQ(pts[i] - pts[i - 1], 960);
  const auto summary = recording_.Summary();
  EXPECT_EQ(summary.tracks[0].frames_written, 50u);
  EXPECT_EQ(summary.duration_us, 100'000 + 50 * 20'000);
  EXPECT_TRUE(sink_.closed);
}

TEST_F(RecordingTest, HeaderWaitsForVideoKeyframeAndRequestsIt) {
  const int a = recording_.AddTrack({"alice audio", Codec::kOpus, ""});
  const int v = recording_.AddTrack({"alice video", Codec::kVp8, ""});
  Audio(a, 0, t0_);
  Audio(a, 1, t0_ + milliseconds(20));
  Video(v, 0, 0, false, t0_ + milliseconds(20));
  Video(v, 1, 3000, false, t0_ + milliseconds(53));
  EXPECT_FALSE(recording_.file_open());
  ASSERT_EQ(pli_.requests.size(), 1u);
  EXPECT_EQ(pli_.requests[0], std::make_pair(v, 0xBu));
  recording_.Poll(t0_ + milliseconds(100));
  EXPECT_EQ(pli_.requests.size(), 1u);  // rate limited
  recording_.Poll(t0_ + milliseconds(360));
  EXPECT_EQ(pli_.requests.size(), 2u);  // repeated while still waiting
  Video(v, 2, 6000, true, t0_ + milliseconds(400));
  EXPECT_TRUE(recording_.file_open());
  ASSERT_EQ(sink_.streams.size(), 2u);
  EXPECT_EQ(sink_.streams[1].width, 320);
  EXPECT_EQ(sink_.streams[1].height, 240);
  recording_.Finish(t0_ + milliseconds(500));
  const auto video = sink_.Pts(1);
  ASSERT_EQ(video.size(), 1u);
  EXPECT_TRUE(sink_.frames.back().keyframe || sink_.frames[0].keyframe);
  EXPECT_EQ(video[0], 400 * 90);  // placed where the keyframe arrived
}

TEST_F(RecordingTest, SilentTrackIsLeftOutAfterHeaderWait) {
  const int a = recording_.AddTrack({"alice audio", Codec::kOpus, ""});
  recording_.AddTrack({"bob video", Codec::kVp8, ""});
  for (uint16_t s = 0; s < 30; ++s) Audio(a, s, t0_ + milliseconds(20 * s));
  EXPECT_TRUE(recording_.file_open());  // 580 ms > header_wait
  recording_.Finish(t0_ + milliseconds(700));
  EXPECT_EQ(sink_.streams.size(), 1u);
  const auto summary = recording_.Summary();
  EXPECT_EQ(summary.tracks[1].stream, -1);
  const std::string manifest = ManifestJson({"m1", "m1_1.mkv", 1, 10, "ab"}, summary);
  EXPECT_NE(manifest.find("tracks_not_recorded"), std::string::npos);
  EXPECT_NE(manifest.find("bob video"), std::string::npos);
}

TEST_F(RecordingTest, LossIsAGapAndVideoResumesAtKeyframe) {
  const int v = recording_.AddTrack({"video", Codec::kVp8, ""});
  Video(v, 0, 0, true, t0_);
  Video(v, 1, 3000, false, t0_ + milliseconds(33));
  // seq 2 lost
  Video(v, 3, 9000, false, t0_ + milliseconds(100));
  recording_.Poll(t0_ + milliseconds(200));
  Video(v, 4, 12000, false, t0_ + milliseconds(210));
  Video(v, 5, 15000, true, t0_ + milliseconds(240));
  Video(v, 6, 18000, false, t0_ + milliseconds(270));
  recording_.Finish(t0_ + milliseconds(300));
  const auto pts = sink_.Pts(0);
  ASSERT_EQ(pts.size(), 4u);  // 0, 3000, then 15000 (key), 18000
  EXPECT_EQ(pts[2] - pts[0], 15000);
  const auto summary = recording_.Summary();
  ASSERT_EQ(summary.tracks[0].gaps.size(), 1u);
  EXPECT_EQ(summary.tracks[0].gaps[0].packets, 1u);
  EXPECT_EQ(summary.tracks[0].packets_lost, 1u);
  EXPECT_GE(summary.tracks[0].keyframe_requests, 1u);
  EXPECT_EQ(pli_.requests.size(), summary.tracks[0].keyframe_requests);
}

TEST_F(RecordingTest, SsrcChangeContinuesTheTimeline) {
  const int a = recording_.AddTrack({"audio", Codec::kOpus, ""});
  for (uint16_t s = 0; s < 10; ++s) Audio(a, s, t0_ + milliseconds(20 * s));
  // The sender restarts with a new SSRC and a random timestamp base, 100 ms later.
  for (uint16_t s = 0; s < 10; ++s) {
    recording_.OnRtp(
        a,
        Rtp({.ssrc = 0xC, .seq = static_cast<uint16_t>(9000 + s), .timestamp = 777777u + s * 960u},
            kOpus),
        t0_ + milliseconds(280 + 20 * s));
  }
  recording_.Finish(t0_ + milliseconds(1000));
  const auto pts = sink_.Pts(0);
  ASSERT_EQ(pts.size(), 20u);
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_GT(pts[i], pts[i - 1]);
  // The jump between the two runs is what the arrival times say: 280 - 180 ms.
  EXPECT_EQ(pts[10] - pts[9], 100 * 48);
  const auto summary = recording_.Summary();
  ASSERT_EQ(summary.ssrc_changes.size(), 1u);
  EXPECT_EQ(summary.ssrc_changes[0].from, 0xAu);
  EXPECT_EQ(summary.ssrc_changes[0].to, 0xCu);
  EXPECT_EQ(summary.tracks[0].ssrcs, (std::vector<uint32_t>{0xA, 0xC}));
}

TEST_F(RecordingTest, SenderReportsAlignAudioAndVideo) {
  const int a = recording_.AddTrack({"carol audio", Codec::kOpus, "carol"});
  const int v = recording_.AddTrack({"carol video", Codec::kVp8, "carol"});
  const int64_t ntp0 = 3'900'000'000LL * 1'000'000;
  // Audio RTP 1000 and video RTP 50000 were captured at the same wallclock instant.
  recording_.OnRtcp(testing::SenderReport(0xA, MicrosToNtp(ntp0), 1000), t0_);
  recording_.OnRtcp(testing::SenderReport(0xB, MicrosToNtp(ntp0), 50000), t0_);
  for (uint16_t s = 0; s < 10; ++s) Audio(a, s, t0_ + milliseconds(100 + 20 * s));
  EXPECT_FALSE(recording_.file_open());
  // Video of the same instant arrives 70 ms after the audio.
  Video(v, 0, 50000, true, t0_ + milliseconds(170));
  Video(v, 1, 53000, false, t0_ + milliseconds(203));
  EXPECT_TRUE(recording_.file_open());
  recording_.Finish(t0_ + milliseconds(400));
  const auto audio = sink_.Pts(0);
  const auto video = sink_.Pts(1);
  ASSERT_FALSE(audio.empty());
  ASSERT_FALSE(video.empty());
  // Both at 100 ms on the file timeline (audio 1000 + 0*960 is the audio's first sample).
  EXPECT_EQ(audio[0] * 1000 / 48, 100'000);
  EXPECT_EQ(video[0] * 1000 / 90, 100'000);
  EXPECT_EQ(sink_.streams[1].applied_offset, milliseconds(-70));
  const auto summary = recording_.Summary();
  EXPECT_TRUE(summary.tracks[1].sender_report_aligned);
  EXPECT_EQ(summary.tracks[1].correction_us, -70'000);
}

TEST_F(RecordingTest, ReorderingAndDuplicationDoNotReachTheSink) {
  const int a = recording_.AddTrack({"audio", Codec::kOpus, ""});
  const std::vector<uint16_t> order = {0, 1, 3, 2, 2, 5, 4, 6, 6, 7};
  for (size_t i = 0; i < order.size(); ++i) Audio(a, order[i], t0_ + milliseconds(20 * i));
  recording_.Finish(t0_ + milliseconds(1000));
  const auto pts = sink_.Pts(0);
  ASSERT_EQ(pts.size(), 8u);
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_EQ(pts[i] - pts[i - 1], 960);
  EXPECT_EQ(recording_.Summary().tracks[0].packets_duplicate, 2u);
}

// With mix_audio one more stream: mono Opus, 20 ms frames back to back from the file's start
// to the end of the last audio, written behind the sources as Poll advances; the summary and the
// manifest describe it.
TEST(RecordingMixTest, MixedTrackFollowsTheAudioTracks) {
  FakeSink sink;
  Recording::Options options;
  options.jitter.max_delay = milliseconds(60);
  options.header_wait = milliseconds(500);
  options.mix_audio = true;
  options.mix_delay = milliseconds(100);
  const TimePoint t0{};
  Recording recording(sink, t0, options, nullptr);
  const int a = recording.AddTrack({"alice audio", Codec::kOpus, ""});
  const int b = recording.AddTrack({"bob audio", Codec::kOpus, ""});
  for (uint16_t s = 0; s < 50; ++s) {
    const TimePoint at = t0 + milliseconds(100 + 20 * s);
    const auto ts = static_cast<uint32_t>(s * 960);
    recording.OnRtp(a, Rtp({.ssrc = 0xA, .seq = s, .timestamp = ts, .payload_type = 111}, kOpus),
                    at);
    recording.OnRtp(b, Rtp({.ssrc = 0xB, .seq = s, .timestamp = ts, .payload_type = 111}, kOpus),
                    at);
    recording.Poll(at);
  }
  const size_t mixed_before_finish = sink.Pts(2).size();
  EXPECT_GT(mixed_before_finish, 20u);  // the mix runs while recording, not only at the end
  ASSERT_TRUE(recording.Finish(t0 + milliseconds(1200)));
  ASSERT_EQ(sink.streams.size(), 3u);
  EXPECT_EQ(sink.streams[2].label, Recording::kMixLabel);
  EXPECT_EQ(sink.streams[2].codec, Codec::kOpus);
  EXPECT_EQ(sink.streams[2].channels, 1);
  const auto mixed = sink.Pts(2);
  ASSERT_FALSE(mixed.empty());
  for (size_t i = 0; i < mixed.size(); ++i) EXPECT_EQ(mixed[i], static_cast<int64_t>(i) * 960);
  // Sources from 100 ms to 1100 ms: 55 frames of 20 ms from 0.
  EXPECT_EQ(mixed.size(), 55u);
  const RecordingSummary summary = recording.Summary();
  ASSERT_EQ(summary.tracks.size(), 3u);
  EXPECT_EQ(summary.tracks[2].label, Recording::kMixLabel);
  EXPECT_EQ(summary.tracks[2].stream, 2);
  EXPECT_EQ(summary.mix.stream, 2);
  EXPECT_EQ(summary.mix.sources, 2);
  EXPECT_EQ(summary.mix.stats.frames_decoded, 100u);
  EXPECT_EQ(summary.mix.stats.frames_mixed, 55u);
  const std::string manifest = ManifestJson({}, summary);
  EXPECT_NE(manifest.find("\"mix\": {"), std::string::npos) << manifest;
}

TEST(RecordingMixTest, OffByDefault) {
  FakeSink sink;
  Recording recording(sink, TimePoint{}, Recording::Options(), nullptr);
  const int a = recording.AddTrack({"alice audio", Codec::kOpus, ""});
  for (uint16_t s = 0; s < 10; ++s) {
    recording.OnRtp(a,
                    Rtp({.ssrc = 0xA, .seq = s, .timestamp = s * 960u, .payload_type = 111}, kOpus),
                    TimePoint{} + milliseconds(20 * s));
  }
  ASSERT_TRUE(recording.Finish(TimePoint{} + milliseconds(1000)));
  EXPECT_EQ(sink.streams.size(), 1u);
  EXPECT_EQ(recording.Summary().mix.stream, -1);
  EXPECT_EQ(ManifestJson({}, recording.Summary()).find("\"mix\""), std::string::npos);
}

}  // namespace
}  // namespace mgw::rec
