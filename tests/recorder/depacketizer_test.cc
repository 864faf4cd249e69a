// Opus, VP8 and H.264 depacketizers fed with byte fixtures as the jitter buffer releases them.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "mgw/rec/h264_depacketizer.h"
#include "mgw/rec/h264_sps.h"
#include "mgw/rec/opus_depacketizer.h"
#include "mgw/rec/vp8_depacketizer.h"

namespace mgw::rec {
namespace {

struct Frames : Depacketizer::Listener {
  struct Frame {
    uint64_t ts;
    bool keyframe;
    std::vector<uint8_t> data;
    std::vector<uint8_t> extradata;
    int width;
    int height;
  };
  std::vector<Frame> frames;
  int keyframe_requests = 0;
  void OnFrame(const EncodedFrame& f) override {
    frames.push_back({f.extended_timestamp,
                      f.keyframe,
                      {f.data.begin(), f.data.end()},
                      {f.extradata.begin(), f.extradata.end()},
                      f.width,
                      f.height});
  }
  void OnKeyframeNeeded() override { ++keyframe_requests; }
};

OrderedPacket Packet(uint64_t ts, bool marker, const std::vector<uint8_t>& payload) {
  OrderedPacket p;
  p.ssrc = 7;
  p.extended_timestamp = ts;
  p.marker = marker;
  p.payload = payload;
  return p;
}

// ---- Opus (RFC 7587) ----

TEST(OpusDepacketizerTest, EachPacketIsAFrame) {
  Frames out;
  OpusDepacketizer d(out);
  const std::vector<uint8_t> a = {0xFC, 1, 2}, b = {0xFC, 3};
  d.Push(Packet(960, false, a));
  d.OnLoss();
  d.Push(Packet(2880, true, b));
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_EQ(out.frames[0].data, a);
  EXPECT_TRUE(out.frames[1].keyframe);
  EXPECT_EQ(out.frames[1].ts, 2880u);
}

TEST(OpusDepacketizerTest, EmptyPayloadIsMalformed) {
  Frames out;
  OpusDepacketizer d(out);
  const std::vector<uint8_t> empty;
  d.Push(Packet(960, false, empty));
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(d.stats().malformed, 1u);
}

// ---- VP8 (RFC 7741) ----

// A VP8 keyframe's first bytes: frame tag (P=0), start code, 320x240.
std::vector<uint8_t> Vp8KeyframeStart() {
  return {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xF0, 0x00};
}
std::vector<uint8_t> Vp8InterStart() { return {0x11, 0x02, 0x00, 0xAA}; }

std::vector<uint8_t> Join(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Vp8DescriptorTest, ParsesExtensions) {
  // X=1 S=1 PID=0; I=1 L=1 T=1; 15-bit PictureID; TL0PICIDX; TID.
  const std::vector<uint8_t> p = {0x90, 0xE0, 0x80, 0x01, 0x05, 0x40, 0xAB};
  auto d = ParseVp8Descriptor(p);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->start_of_partition);
  EXPECT_EQ(d->partition_id, 0);
  EXPECT_EQ(d->size, 6u);
  const std::vector<uint8_t> seven_bit = {0x90, 0x80, 0x05, 0xAB};
  EXPECT_EQ(ParseVp8Descriptor(seven_bit)->size, 3u);
  const std::vector<uint8_t> truncated = {0x90, 0xE0, 0x80};
  EXPECT_FALSE(ParseVp8Descriptor(truncated));
  EXPECT_FALSE(ParseVp8Descriptor({}));
}

TEST(Vp8DepacketizerTest, AssemblesKeyframeAcrossPackets) {
  Frames out;
  Vp8Depacketizer d(out);
  const auto first = Join({0x10}, Vp8KeyframeStart());
  const std::vector<uint8_t> middle = {0x00, 0xB1, 0xB2};
  const std::vector<uint8_t> last = {0x00, 0xB3};
  d.Push(Packet(3000, false, first));
  d.Push(Packet(3000, false, middle));
  d.Push(Packet(3000, true, last));
  ASSERT_EQ(out.frames.size(), 1u);
  EXPECT_TRUE(out.frames[0].keyframe);
  EXPECT_EQ(out.frames[0].width, 320);
  EXPECT_EQ(out.frames[0].height, 240);
  EXPECT_EQ(out.frames[0].data, Join(Join(Vp8KeyframeStart(), {0xB1, 0xB2}), {0xB3}));
}

TEST(Vp8DepacketizerTest, InterFramesBeforeFirstKeyframeAreDroppedAndKeyframeRequested) {
  Frames out;
  Vp8Depacketizer d(out);
  d.Push(Packet(3000, true, Join({0x10}, Vp8InterStart())));
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(out.keyframe_requests, 1);
  EXPECT_TRUE(d.waiting_for_keyframe());
  d.Push(Packet(6000, true, Join({0x10}, Vp8KeyframeStart())));
  d.Push(Packet(9000, true, Join({0x10}, Vp8InterStart())));
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_FALSE(out.frames[1].keyframe);
  EXPECT_FALSE(d.waiting_for_keyframe());
}

TEST(Vp8DepacketizerTest, LossDropsFramesUntilNextKeyframe) {
  Frames out;
  Vp8Depacketizer d(out);
  d.Push(Packet(3000, true, Join({0x10}, Vp8KeyframeStart())));
  d.Push(Packet(6000, false, Join({0x10}, Vp8InterStart())));
  d.OnLoss();  // the rest of frame 6000 is lost
  d.Push(Packet(9000, true, Join({0x10}, Vp8InterStart())));
  d.Push(Packet(12000, true, Join({0x10}, Vp8InterStart())));
  EXPECT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(out.keyframe_requests, 1);  // asked once per wait
  d.Push(Packet(15000, true, Join({0x10}, Vp8KeyframeStart())));
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_TRUE(out.frames[1].keyframe);
  EXPECT_EQ(out.frames[1].ts, 15000u);
}

TEST(Vp8DepacketizerTest, TimestampChangeWithoutMarkerCompletesFrame) {
  Frames out;
  Vp8Depacketizer d(out);
  d.Push(Packet(3000, false, Join({0x10}, Vp8KeyframeStart())));
  d.Push(Packet(6000, true, Join({0x10}, Vp8InterStart())));
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_EQ(out.frames[0].ts, 3000u);
}

TEST(Vp8DepacketizerTest, FrameWithoutStartIsNotWritten) {
  Frames out;
  Vp8Depacketizer d(out);
  d.Push(Packet(3000, true, Join({0x10}, Vp8KeyframeStart())));
  d.Push(Packet(6000, true, {0x00, 0x11, 0x22}));  // S=0: a continuation with no start
  EXPECT_EQ(out.frames.size(), 1u);
  EXPECT_TRUE(d.waiting_for_keyframe());
}

// ---- H.264 (RFC 6184) ----

const std::vector<uint8_t> kSps = {0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01};
const std::vector<uint8_t> kPps = {0x68, 0xCE, 0x3C, 0x80};
const std::vector<uint8_t> kIdr = {0x65, 0x88, 0x84, 0x00, 0x33};
const std::vector<uint8_t> kSlice = {0x41, 0x9A, 0x02};

std::vector<uint8_t> Avcc(std::initializer_list<std::vector<uint8_t>> nals) {
  std::vector<uint8_t> out;
  for (const auto& n : nals) {
    out.push_back(0);
    out.push_back(0);
    out.push_back(static_cast<uint8_t>(n.size() >> 8));
    out.push_back(static_cast<uint8_t>(n.size()));
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

std::vector<uint8_t> StapA(std::initializer_list<std::vector<uint8_t>> nals) {
  std::vector<uint8_t> out = {0x78};  // NRI 3, type 24
  for (const auto& n : nals) {
    out.push_back(static_cast<uint8_t>(n.size() >> 8));
    out.push_back(static_cast<uint8_t>(n.size()));
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

TEST(H264DepacketizerTest, StapAAndFuAMakeAKeyframeWithExtradata) {
  Frames out;
  H264Depacketizer d(out, H264Depacketizer::Output::kAvcc);
  d.Push(Packet(9000, false, StapA({kSps, kPps})));
  // The IDR split in three FU-A fragments: indicator NRI 3 type 28, header S/E + type 5.
  d.Push(Packet(9000, false, {0x7C, 0x85, 0x88, 0x84}));
  d.Push(Packet(9000, false, {0x7C, 0x05, 0x00}));
  d.Push(Packet(9000, true, {0x7C, 0x45, 0x33}));
  ASSERT_EQ(out.frames.size(), 1u);
  const auto& f = out.frames[0];
  EXPECT_TRUE(f.keyframe);
  EXPECT_EQ(f.data, Avcc({kSps, kPps, {0x65, 0x88, 0x84, 0x00, 0x33}}));
  EXPECT_EQ(f.extradata, BuildAvcDecoderConfiguration(kSps, kPps));
  ASSERT_GE(f.extradata.size(), 8u);
  EXPECT_EQ(f.extradata[1], 0x42);  // profile from the SPS
  EXPECT_EQ(f.extradata[3], 0x1F);  // level
}

TEST(H264DepacketizerTest, AnnexBOutputUsesStartCodes) {
  Frames out;
  H264Depacketizer d(out, H264Depacketizer::Output::kAnnexB);
  d.Push(Packet(9000, false, kSps));
  d.Push(Packet(9000, false, kPps));
  d.Push(Packet(9000, true, kIdr));
  ASSERT_EQ(out.frames.size(), 1u);
  std::vector<uint8_t> want;
  for (const auto& n : {kSps, kPps, kIdr}) {
    want.insert(want.end(), {0, 0, 0, 1});
    want.insert(want.end(), n.begin(), n.end());
  }
  EXPECT_EQ(out.frames[0].data, want);
}

TEST(H264DepacketizerTest, LostFragmentDropsUntilIdr) {
  Frames out;
  H264Depacketizer d(out, H264Depacketizer::Output::kAvcc);
  d.Push(Packet(9000, true, StapA({kSps, kPps, kIdr})));
  d.Push(Packet(12000, false, {0x5C, 0x81, 0x9A}));  // FU-A start of a non-IDR slice
  d.OnLoss();                                        // its middle is lost
  d.Push(Packet(12000, true, {0x5C, 0x41, 0x02}));   // its end
  d.Push(Packet(15000, true, kSlice));
  EXPECT_EQ(out.frames.size(), 1u);
  EXPECT_EQ(out.keyframe_requests, 1);
  d.Push(Packet(18000, true, kIdr));  // parameter sets were remembered
  ASSERT_EQ(out.frames.size(), 2u);
  EXPECT_TRUE(out.frames[1].keyframe);
}

TEST(H264DepacketizerTest, IdrWithoutParameterSetsIsNotWritten) {
  Frames out;
  H264Depacketizer d(out, H264Depacketizer::Output::kAvcc);
  d.Push(Packet(9000, true, kIdr));
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(out.keyframe_requests, 1);
}

TEST(H264DepacketizerTest, MalformedStapAIsDropped) {
  Frames out;
  H264Depacketizer d(out, H264Depacketizer::Output::kAvcc);
  d.Push(Packet(9000, true, {0x78, 0x00, 0x09, 0x67}));  // claims 9 bytes, has 1
  EXPECT_TRUE(out.frames.empty());
  EXPECT_GE(d.stats().malformed, 1u);
}

TEST(H264DepacketizerTest, InterleavedModesAreRejected) {
  Frames out;
  H264Depacketizer d(out, H264Depacketizer::Output::kAvcc);
  d.Push(Packet(9000, true, {0x79, 0x00, 0x00}));  // STAP-B
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(d.stats().malformed, 1u);
}

TEST(DepacketizerTest, RandomPayloadsNeverCrash) {
  std::mt19937 rng(1234);
  for (Codec codec : {Codec::kOpus, Codec::kVp8, Codec::kH264}) {
    Frames out;
    auto d = MakeDepacketizer(codec, out);
    for (int i = 0; i < 20000; ++i) {
      std::vector<uint8_t> payload(rng() % 40);
      for (auto& b : payload) b = static_cast<uint8_t>(rng());
      if (rng() % 50 == 0) d->OnLoss();
      d->Push(Packet(uint64_t{3000} * static_cast<uint64_t>(i / 3), rng() % 3 == 0, payload));
    }
    d->Finish();
  }
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> sps(rng() % 30);
    for (auto& b : sps) b = static_cast<uint8_t>(rng());
    if (!sps.empty()) sps[0] = 0x67;
    ParseH264SpsSize(sps);
  }
}

// SPS from libx264: 320x240 constrained baseline, and 1920x1080 high profile (1088 coded rows
// cropped by 8, emulation prevention bytes inside).
TEST(H264SpsTest, ReadsPictureSize) {
  const std::vector<uint8_t> baseline = {0x67, 0x42, 0xC0, 0x0D, 0xD9, 0x01, 0x41, 0xFB,
                                         0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
                                         0x00, 0x03, 0x03, 0x20, 0xF1, 0x42, 0xA4, 0x80};
  const auto small = ParseH264SpsSize(baseline);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->width, 320);
  EXPECT_EQ(small->height, 240);
  const std::vector<uint8_t> high = {0x67, 0x64, 0x00, 0x28, 0xAC, 0xD9, 0x40, 0x78, 0x02,
                                     0x27, 0xE5, 0xC0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
                                     0x00, 0x00, 0x03, 0x00, 0xC8, 0x3C, 0x60, 0xC6, 0x58};
  const auto full_hd = ParseH264SpsSize(high);
  ASSERT_TRUE(full_hd);
  EXPECT_EQ(full_hd->width, 1920);
  EXPECT_EQ(full_hd->height, 1080);
}

TEST(H264SpsTest, TruncatedOrWrongNalIsRejected) {
  const std::vector<uint8_t> truncated = {0x67, 0x64, 0x00, 0x28, 0xAC};
  EXPECT_FALSE(ParseH264SpsSize(truncated));
  EXPECT_FALSE(ParseH264SpsSize(kPps));
  EXPECT_FALSE(ParseH264SpsSize({}));
}

}  // namespace
}  // namespace mgw::rec
