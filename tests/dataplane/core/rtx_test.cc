#include "mgw/dp/rtx.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace mgw::dp {
namespace {

using Bytes = std::vector<uint8_t>;

// Marker, PT 96, seq 0x0102, ts 0x03040506, SSRC 0x0A0B0C0D, one-byte extension, payload
// "abc" and 2 bytes of padding.
Bytes Original() {
  return {0xB0, 0xE0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0A, 0x0B, 0x0C, 0x0D, 0xBE,
          0xDE, 0x00, 0x01, 0x10, 0xAB, 0x00, 0x00, 'a',  'b',  'c',  0x00, 0x02};
}

TEST(RtxTest, WritesOsnBeforePayloadAndDropsPadding) {
  Bytes original = Original();
  auto p = RtpPacket::Parse(original);
  ASSERT_TRUE(p.ok());
  std::array<uint8_t, 64> out{};
  const size_t n =
      WriteRtxPacket(out, *p, RtpHeaderFields{0x0E0E0E0E, 500, 0x11111111, 97}, 0xBEEF);
  const Bytes expected = {0x90, 0xE1, 0x01, 0xF4, 0x11, 0x11, 0x11, 0x11, 0x0E,
                          0x0E, 0x0E, 0x0E, 0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAB,
                          0x00, 0x00, 0xBE, 0xEF, 'a',  'b',  'c'};
  EXPECT_EQ(Bytes(out.begin(), out.begin() + n), expected);
}

TEST(RtxTest, TooSmallOutputWritesNothing) {
  Bytes original = Original();
  auto p = RtpPacket::Parse(original);
  std::array<uint8_t, 20> out{};
  EXPECT_EQ(WriteRtxPacket(out, *p, RtpHeaderFields{}, 0), 0u);
}

TEST(RtxTest, DecapsulateRestoresOriginal) {
  Bytes original = Original();
  auto p = RtpPacket::Parse(original);
  std::array<uint8_t, 64> buf{};
  const size_t n =
      WriteRtxPacket(buf, *p, RtpHeaderFields{0x0E0E0E0E, 500, 0x03040506, 97}, 0x0102);
  auto rtx = RtpPacket::Parse(buf.data(), n);
  ASSERT_TRUE(rtx.ok());
  auto back = DecapsulateRtx(*rtx, 0x0A0B0C0D, 96);
  ASSERT_TRUE(back.ok()) << Name(back.reason);
  EXPECT_EQ(back->data(), buf.data() + 2);
  EXPECT_EQ(back->sequence_number(), 0x0102);
  EXPECT_EQ(back->ssrc(), 0x0A0B0C0Du);
  EXPECT_EQ(back->payload_type(), 96);
  EXPECT_TRUE(back->marker());
  EXPECT_EQ(back->timestamp(), 0x03040506u);
  EXPECT_EQ(back->extension_profile(), 0xBEDE);
  EXPECT_EQ(Bytes(back->payload().begin(), back->payload().end()), (Bytes{'a', 'b', 'c'}));
}

TEST(RtxTest, DecapsulateRejectsPacketWithoutOsn) {
  Bytes probe = {0x80, 0x61, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x07};  // 1-byte payload
  auto p = RtpPacket::Parse(probe);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(DecapsulateRtx(*p, 1, 96).reason, DropReason::kRtxMalformed);
  Bytes padding_only = {0xA0, 0x61, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
  p = RtpPacket::Parse(padding_only);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(DecapsulateRtx(*p, 1, 96).reason, DropReason::kRtxMalformed);
}

}  // namespace
}  // namespace mgw::dp
