#include "mgw/dp/keyframe_detector.h"

#include <gtest/gtest.h>

#include <vector>

namespace mgw::dp {
namespace {

bool Vp8(std::vector<uint8_t> p) { return IsVp8KeyframeStart(p); }
bool H264(std::vector<uint8_t> p) { return IsH264KeyframeStart(p); }

// RFC 7741 section 4.2 descriptor, then the VP8 payload header whose bit 0 is P (0 = key frame).
TEST(KeyframeDetectorTest, Vp8MinimalDescriptor) {
  EXPECT_TRUE(Vp8({0x10, 0x9C, 0x01, 0x2A}));   // S=1 PID=0, P=0
  EXPECT_FALSE(Vp8({0x10, 0x9D, 0x01, 0x2A}));  // P=1: interframe
  EXPECT_FALSE(Vp8({0x00, 0x9C}));              // S=0: not the start of a partition
  EXPECT_FALSE(Vp8({0x11, 0x9C}));              // PID=1
  EXPECT_FALSE(Vp8({0x10}));                    // no payload header
  EXPECT_FALSE(Vp8({}));
}

TEST(KeyframeDetectorTest, Vp8ExtendedDescriptor) {
  // X=1; I=1 with 15-bit PictureID (M=1); payload header P=0.
  EXPECT_TRUE(Vp8({0x90, 0x80, 0x81, 0x23, 0x00}));
  // X=1; I=1 7-bit PictureID; L=1 TL0PICIDX; T=1 TID byte; P=0.
  EXPECT_TRUE(Vp8({0x90, 0xE0, 0x05, 0x0A, 0x20, 0x00}));
  // Same, interframe.
  EXPECT_FALSE(Vp8({0x90, 0xE0, 0x05, 0x0A, 0x20, 0x01}));
  // K=1 alone also adds one byte.
  EXPECT_TRUE(Vp8({0x90, 0x10, 0x20, 0x00}));
  // Truncated inside the descriptor.
  EXPECT_FALSE(Vp8({0x90}));
  EXPECT_FALSE(Vp8({0x90, 0x80}));
  EXPECT_FALSE(Vp8({0x90, 0x80, 0x81, 0x23}));
  // S=1 but PID=2, extended.
  EXPECT_FALSE(Vp8({0x92, 0x80, 0x05, 0x00}));
}

TEST(KeyframeDetectorTest, H264SingleNalUnits) {
  EXPECT_TRUE(H264({0x65, 0x88, 0x84}));   // IDR slice
  EXPECT_TRUE(H264({0x67, 0x42, 0xC0}));   // SPS
  EXPECT_FALSE(H264({0x68, 0xCE, 0x3C}));  // PPS
  EXPECT_FALSE(H264({0x41, 0x9A}));        // non-IDR slice
  EXPECT_FALSE(H264({0x06, 0x05}));        // SEI
  EXPECT_FALSE(H264({}));
}

TEST(KeyframeDetectorTest, H264StapA) {
  // STAP-A: SPS (2 bytes), PPS (2 bytes).
  EXPECT_TRUE(H264({0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xCE}));
  // STAP-A: SEI, IDR.
  EXPECT_TRUE(H264({0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x65, 0x88}));
  // STAP-A: PPS, non-IDR slice.
  EXPECT_FALSE(H264({0x78, 0x00, 0x02, 0x68, 0xCE, 0x00, 0x02, 0x41, 0x9A}));
  // NAL size running past the end hides the SPS.
  EXPECT_FALSE(H264({0x78, 0x00, 0x09, 0x67, 0x42}));
  // Zero-sized NAL unit.
  EXPECT_FALSE(H264({0x78, 0x00, 0x00, 0x67}));
}

TEST(KeyframeDetectorTest, H264FuA) {
  EXPECT_TRUE(H264({0x7C, 0x85, 0x88}));   // FU-A, S=1, type IDR
  EXPECT_FALSE(H264({0x7C, 0x05, 0x88}));  // FU-A continuation of IDR
  EXPECT_FALSE(H264({0x7C, 0x45, 0x88}));  // FU-A end of IDR
  EXPECT_FALSE(H264({0x7C, 0x81, 0x9A}));  // FU-A start of non-IDR slice
  EXPECT_FALSE(H264({0x7C}));              // truncated
}

TEST(KeyframeDetectorTest, DispatchByCodec) {
  const std::vector<uint8_t> idr = {0x65, 0x88};
  EXPECT_TRUE(IsKeyframeStart(VideoCodec::kH264, idr));
  EXPECT_FALSE(IsKeyframeStart(VideoCodec::kVp8, std::vector<uint8_t>{0x10, 0x01}));
  // Without a codec every packet is a valid start (audio).
  EXPECT_TRUE(IsKeyframeStart(VideoCodec::kNone, std::vector<uint8_t>{0x41}));
}

}  // namespace
}  // namespace mgw::dp
