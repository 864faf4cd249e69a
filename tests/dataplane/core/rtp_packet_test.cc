#include "mgw/dp/rtp_packet.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace mgw::dp {
namespace {

using Bytes = std::vector<uint8_t>;

ParseResult<RtpPacket> ParseBytes(Bytes& b) { return RtpPacket::Parse(b.data(), b.size()); }

// V=2, PT=96, seq 0x1234, ts 0x00001000, SSRC 0xDEADBEEF, 3-byte payload.
Bytes Minimal() {
  return {0x80, 0x60, 0x12, 0x34, 0x00, 0x00, 0x10, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03};
}

TEST(RtpPacketTest, ParsesFixedHeaderFields) {
  Bytes b = Minimal();
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok()) << Name(r.reason);
  EXPECT_FALSE(r->marker());
  EXPECT_EQ(r->payload_type(), 96);
  EXPECT_EQ(r->sequence_number(), 0x1234);
  EXPECT_EQ(r->timestamp(), 0x1000u);
  EXPECT_EQ(r->ssrc(), 0xDEADBEEFu);
  EXPECT_EQ(r->csrc_count(), 0);
  EXPECT_FALSE(r->has_extension());
  EXPECT_EQ(r->header_size(), 12u);
  ASSERT_EQ(r->payload().size(), 3u);
  EXPECT_EQ(r->payload()[0], 0x01);
  EXPECT_EQ(r->padding_size(), 0u);
  EXPECT_EQ(r->payload_with_padding().size(), 3u);
}

TEST(RtpPacketTest, ParsesMarkerAndHeaderOnlyPacket) {
  Bytes b = {0x80, 0xE0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3};
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->marker());
  EXPECT_EQ(r->payload_type(), 96);
  EXPECT_TRUE(r->payload().empty());
}

TEST(RtpPacketTest, ParsesCsrcList) {
  Bytes b = {0x82, 0x60, 0,    1,    0,    0,    0,    2,    0,   0, 0, 3,  // CC=2
             0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0xAA};
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->csrc_count(), 2);
  EXPECT_EQ(r->csrc(0), 0x11111111u);
  EXPECT_EQ(r->csrc(1), 0x22222222u);
  EXPECT_EQ(r->header_size(), 20u);
  ASSERT_EQ(r->payload().size(), 1u);
  EXPECT_EQ(r->payload()[0], 0xAA);
}

TEST(RtpPacketTest, ParsesOneByteExtension) {
  // X=1, profile 0xBEDE, 1 word: element id=1 len=1 (L=0) value 0xAB, then padding.
  Bytes b = {0x90, 0x60, 0,    1,    0,    0,    0,    2,    0,    0,    0,
             3,    0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAB, 0x00, 0x00, 0x55, 0x66};
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok()) << Name(r.reason);
  EXPECT_TRUE(r->has_extension());
  EXPECT_TRUE(r->has_one_byte_extensions());
  EXPECT_FALSE(r->has_two_byte_extensions());
  EXPECT_EQ(r->extension_profile(), 0xBEDE);
  ASSERT_EQ(r->extension().size(), 4u);
  EXPECT_EQ(r->extension()[0], 0x10);
  EXPECT_EQ(r->extension()[1], 0xAB);
  EXPECT_EQ(r->header_size(), 20u);
  ASSERT_EQ(r->payload().size(), 2u);
  EXPECT_EQ(r->payload()[0], 0x55);
}

TEST(RtpPacketTest, ParsesTwoByteExtensionWithCsrc) {
  // CC=1, X=1, profile 0x1001 (two-byte, appbits 1), 1 word: id=3 len=2 0xAA 0xBB.
  Bytes b = {0x91, 0x60, 0,    1,    0,    0,    0,    2,    0,    0,    0,    3,   0x44,
             0x44, 0x44, 0x44, 0x10, 0x01, 0x00, 0x01, 0x03, 0x02, 0xAA, 0xBB, 0x77};
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok()) << Name(r.reason);
  EXPECT_TRUE(r->has_two_byte_extensions());
  EXPECT_FALSE(r->has_one_byte_extensions());
  EXPECT_EQ(r->extension_profile(), 0x1001);
  EXPECT_EQ(r->csrc(0), 0x44444444u);
  ASSERT_EQ(r->extension().size(), 4u);
  EXPECT_EQ(r->extension()[2], 0xAA);
  EXPECT_EQ(r->header_size(), 24u);
  ASSERT_EQ(r->payload().size(), 1u);
  EXPECT_EQ(r->payload()[0], 0x77);
}

TEST(RtpPacketTest, EmptyExtensionBodyIsValid) {
  Bytes b = {0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00, 0x00};
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->extension().empty());
  EXPECT_EQ(r->header_size(), 16u);
}

TEST(RtpPacketTest, ParsesPadding) {
  Bytes b = {0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x01, 0x02, 0x00, 0x00, 0x03};
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->padding_size(), 3u);
  EXPECT_EQ(r->payload().size(), 2u);
  EXPECT_EQ(r->payload_with_padding().size(), 5u);
}

TEST(RtpPacketTest, PaddingOnlyPacketIsValid) {
  Bytes b = {0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x00, 0x00, 0x00, 0x04};
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->payload().empty());
  EXPECT_EQ(r->padding_size(), 4u);
}

struct DropCase {
  const char* name;
  Bytes bytes;
  DropReason expected;
};

class RtpPacketDropTest : public testing::TestWithParam<DropCase> {};

TEST_P(RtpPacketDropTest, ReportsReason) {
  Bytes b = GetParam().bytes;
  auto r = ParseBytes(b);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.reason, GetParam().expected)
      << "got " << Name(r.reason) << " want " << Name(GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, RtpPacketDropTest,
    testing::Values(
        DropCase{"Empty", {}, DropReason::kShortHeader},
        DropCase{"ElevenBytes", {0x80, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0}, DropReason::kShortHeader},
        DropCase{"Version0", {0x00, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, DropReason::kBadVersion},
        DropCase{"Version1", {0x40, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, DropReason::kBadVersion},
        DropCase{"Version3", {0xC0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, DropReason::kBadVersion},
        // CC=3 needs 24 bytes of header; only 20 present.
        DropCase{"CsrcPastEnd",
                 {0x83, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1, 1, 2, 2, 2, 2},
                 DropReason::kCsrcPastEnd},
        // X=1 but the 4-byte extension header is cut short.
        DropCase{"ExtensionHeaderPastEnd",
                 {0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE},
                 DropReason::kExtensionPastEnd},
        // Extension says 2 words; one present.
        DropCase{"ExtensionBodyPastEnd",
                 {0x90, 0x60, 0,    1,    0,    0,    0,    2,    0,    0,
                  0,    3,    0xBE, 0xDE, 0x00, 0x02, 0x10, 0xAB, 0x00, 0x00},
                 DropReason::kExtensionPastEnd},
        // Extension after CSRCs runs past the end.
        DropCase{"ExtensionAfterCsrcPastEnd",
                 {0x91, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 9, 0x10, 0x00, 0x00, 0x01},
                 DropReason::kExtensionPastEnd},
        DropCase{"PaddingCountZero",
                 {0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x01, 0x02, 0x00},
                 DropReason::kBadPadding},
        DropCase{"PaddingPastPayload",
                 {0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x01, 0x02, 0x04},
                 DropReason::kBadPadding},
        DropCase{"PaddingWithoutPayload",
                 {0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3},
                 DropReason::kBadPadding}),
    [](const testing::TestParamInfo<DropCase>& p) { return std::string(p.param.name); });

TEST(RtpPacketTest, NullBufferIsShortHeader) {
  EXPECT_EQ(RtpPacket::Parse(nullptr, 0).reason, DropReason::kShortHeader);
}

TEST(RtpPacketTest, SettersRewriteOnlyTheirFields) {
  Bytes b = {0x91, 0xE0, 0,    1,    0,    0,    0,    2,    0,    0,    0,    3,   0x44,
             0x44, 0x44, 0x44, 0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAB, 0x00, 0x00, 0x77};
  const Bytes original = b;
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok());
  r->set_ssrc(0x01020304);
  r->set_sequence_number(0xFFFE);
  r->set_timestamp(0xA0B0C0D0);
  r->set_payload_type(111);
  EXPECT_EQ(r->ssrc(), 0x01020304u);
  EXPECT_EQ(r->sequence_number(), 0xFFFE);
  EXPECT_EQ(r->timestamp(), 0xA0B0C0D0u);
  EXPECT_EQ(r->payload_type(), 111);
  EXPECT_TRUE(r->marker());  // kept
  r->set_marker(false);
  EXPECT_FALSE(r->marker());
  EXPECT_EQ(r->payload_type(), 111);
  // CSRC, extension and payload untouched.
  EXPECT_TRUE(std::equal(b.begin() + 12, b.end(), original.begin() + 12));
  EXPECT_EQ(b[0], original[0]);
}

TEST(RtpPacketTest, WriteRtpHeaderFieldsKeepsMarker) {
  Bytes b = Minimal();
  b[1] = 0xE0;  // marker + PT 96
  WriteRtpHeaderFields(b.data(), RtpHeaderFields{0x0A0B0C0D, 7, 9, 100});
  auto r = ParseBytes(b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->marker());
  EXPECT_EQ(r->payload_type(), 100);
  EXPECT_EQ(r->sequence_number(), 7);
  EXPECT_EQ(r->timestamp(), 9u);
  EXPECT_EQ(r->ssrc(), 0x0A0B0C0Du);
}

}  // namespace
}  // namespace mgw::dp
