#include "mgw/dp/packet_classifier.h"

#include <gtest/gtest.h>

#include <vector>

namespace mgw::dp {
namespace {

PacketKind Classify(std::initializer_list<uint8_t> bytes) {
  std::vector<uint8_t> b(bytes);
  return ClassifyPacket(b);
}

TEST(PacketClassifierTest, RtpPayloadTypes) {
  EXPECT_EQ(Classify({0x80, 0x00}), PacketKind::kRtp);  // PCMU
  EXPECT_EQ(Classify({0x80, 0x60}), PacketKind::kRtp);  // PT 96
  EXPECT_EQ(Classify({0x80, 0xE0}), PacketKind::kRtp);  // marker + PT 96
  EXPECT_EQ(Classify({0x80, 0x3F}), PacketKind::kRtp);  // PT 63, just below the RTCP range
  EXPECT_EQ(Classify({0x80, 0x60 | 0x80}), PacketKind::kRtp);
  EXPECT_EQ(Classify({0x90, 0x7F}), PacketKind::kRtp);  // PT 127 with extension bit
}

TEST(PacketClassifierTest, RtcpPacketTypesUseTheRfc5761Range) {
  EXPECT_EQ(Classify({0x80, 200}), PacketKind::kRtcp);  // SR
  EXPECT_EQ(Classify({0x81, 201}), PacketKind::kRtcp);  // RR
  EXPECT_EQ(Classify({0x81, 205}), PacketKind::kRtcp);  // RTPFB
  EXPECT_EQ(Classify({0x81, 206}), PacketKind::kRtcp);  // PSFB
  EXPECT_EQ(Classify({0x80, 192}), PacketKind::kRtcp);  // lowest (FIR, RFC 2032)
  EXPECT_EQ(Classify({0x80, 223}), PacketKind::kRtcp);  // highest
  EXPECT_EQ(Classify({0x80, 64}), PacketKind::kRtcp);   // PT 64 without marker
  EXPECT_EQ(Classify({0x80, 224}), PacketKind::kRtp);   // marker + PT 96
}

TEST(PacketClassifierTest, NonRtpDemuxedAsOther) {
  EXPECT_EQ(Classify({0x00, 0x01}), PacketKind::kOther);  // STUN binding request
  EXPECT_EQ(Classify({0x16, 0xFE}), PacketKind::kOther);  // DTLS handshake
  EXPECT_EQ(Classify({0x40, 0x00}), PacketKind::kOther);  // TURN channel / version 1
  EXPECT_EQ(Classify({0xC0, 0x60}), PacketKind::kOther);  // version 3
  EXPECT_EQ(Classify({0x80}), PacketKind::kOther);        // too short to tell
  EXPECT_EQ(Classify({}), PacketKind::kOther);
}

}  // namespace
}  // namespace mgw::dp
