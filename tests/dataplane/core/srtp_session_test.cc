#include "mgw/dp/srtp_session.h"

#include <gtest/gtest.h>

#include <ostream>
#include <stdexcept>
#include <vector>

#include "mgw/dp/rtcp_builder.h"
#include "mgw/dp/rtp_packet.h"

namespace mgw::dp {

// Readable test names for the parameterised suites (found by ADL).
static void PrintTo(SrtpSuite suite, std::ostream* os) {
  *os << (suite == SrtpSuite::kAesCm128HmacSha1_80 ? "AES_CM_128_HMAC_SHA1_80"
                                                   : "AEAD_AES_128_GCM");
}

namespace {

using Bytes = std::vector<uint8_t>;

Bytes Key(SrtpSuite suite, uint8_t seed) {
  Bytes k(SrtpSession::KeyMaterialSize(suite));
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i * 7);
  return k;
}

Bytes RtpBytes(uint16_t seq) {
  Bytes b = {0x80,
             0x60,
             static_cast<uint8_t>(seq >> 8),
             static_cast<uint8_t>(seq),
             0,
             0,
             0x10,
             0,
             0x12,
             0x34,
             0x56,
             0x78};
  for (int i = 0; i < 40; ++i) b.push_back(static_cast<uint8_t>(i));
  return b;
}

// Protects `plain` into a buffer with trailer room; returns the wire bytes.
Bytes ProtectRtp(SrtpSession& s, const Bytes& plain) {
  Bytes buf(plain.size() + kSrtpMaxOverhead);
  std::copy(plain.begin(), plain.end(), buf.begin());
  size_t size = plain.size();
  EXPECT_EQ(s.ProtectRtp(buf, &size), DropReason::kNone);
  buf.resize(size);
  return buf;
}

class SrtpSessionTest : public testing::TestWithParam<SrtpSuite> {
 protected:
  SrtpSession sender_{GetParam(), SrtpDirection::kOutbound, Key(GetParam(), 1)};
  SrtpSession receiver_{GetParam(), SrtpDirection::kInbound, Key(GetParam(), 1)};
};

TEST_P(SrtpSessionTest, RtpRoundTrip) {
  const Bytes plain = RtpBytes(1);
  Bytes wire = ProtectRtp(sender_, plain);
  EXPECT_GT(wire.size(), plain.size());  // tag appended
  EXPECT_NE(Bytes(wire.begin() + 12, wire.begin() + 52), Bytes(plain.begin() + 12, plain.end()));
  size_t size = 0;
  ASSERT_EQ(receiver_.UnprotectRtp(wire, &size), DropReason::kNone);
  EXPECT_EQ(Bytes(wire.begin(), wire.begin() + size), plain);
}

TEST_P(SrtpSessionTest, RtcpRoundTrip) {
  Bytes buf(64 + kSrtpMaxOverhead);
  size_t size = BuildPli(buf, 0x11111111, 0x22222222);
  const Bytes plain(buf.begin(), buf.begin() + size);
  ASSERT_EQ(sender_.ProtectRtcp(buf, &size), DropReason::kNone);
  EXPECT_GT(size, plain.size());
  Bytes wire(buf.begin(), buf.begin() + size);
  ASSERT_EQ(receiver_.UnprotectRtcp(wire, &size), DropReason::kNone);
  EXPECT_EQ(Bytes(wire.begin(), wire.begin() + size), plain);
}

TEST_P(SrtpSessionTest, TamperedPacketFailsAuthentication) {
  Bytes wire = ProtectRtp(sender_, RtpBytes(1));
  wire[20] ^= 0x01;
  size_t size = 0;
  EXPECT_EQ(receiver_.UnprotectRtp(wire, &size), DropReason::kSrtpAuthFail);
}

TEST_P(SrtpSessionTest, TamperedHeaderFailsAuthentication) {
  Bytes wire = ProtectRtp(sender_, RtpBytes(1));
  wire[1] ^= 0x01;  // payload type is authenticated too
  size_t size = 0;
  EXPECT_EQ(receiver_.UnprotectRtp(wire, &size), DropReason::kSrtpAuthFail);
}

TEST_P(SrtpSessionTest, WrongKeyFailsAuthentication) {
  SrtpSession stranger(GetParam(), SrtpDirection::kInbound, Key(GetParam(), 99));
  Bytes wire = ProtectRtp(sender_, RtpBytes(1));
  size_t size = 0;
  EXPECT_EQ(stranger.UnprotectRtp(wire, &size), DropReason::kSrtpAuthFail);
}

TEST_P(SrtpSessionTest, ReplayIsRejected) {
  const Bytes wire = ProtectRtp(sender_, RtpBytes(7));
  Bytes first = wire;
  Bytes again = wire;
  size_t size = 0;
  ASSERT_EQ(receiver_.UnprotectRtp(first, &size), DropReason::kNone);
  EXPECT_EQ(receiver_.UnprotectRtp(again, &size), DropReason::kSrtpReplay);
}

TEST_P(SrtpSessionTest, RtcpReplayIsRejected) {
  Bytes buf(64 + kSrtpMaxOverhead);
  size_t size = BuildPli(buf, 0x11111111, 0x22222222);
  ASSERT_EQ(sender_.ProtectRtcp(buf, &size), DropReason::kNone);
  Bytes first(buf.begin(), buf.begin() + size);
  Bytes again = first;
  ASSERT_EQ(receiver_.UnprotectRtcp(first, &size), DropReason::kNone);
  EXPECT_EQ(receiver_.UnprotectRtcp(again, &size), DropReason::kSrtpReplay);
}

TEST_P(SrtpSessionTest, OutboundAllowsRepeatedSequenceForRetransmission) {
  const Bytes plain = RtpBytes(3);
  ProtectRtp(sender_, plain);
  Bytes buf(plain.size() + kSrtpMaxOverhead);
  std::copy(plain.begin(), plain.end(), buf.begin());
  size_t size = plain.size();
  EXPECT_EQ(sender_.ProtectRtp(buf, &size), DropReason::kNone);
}

TEST_P(SrtpSessionTest, ProtectNeedsTrailerRoom) {
  Bytes plain = RtpBytes(1);
  size_t size = plain.size();
  EXPECT_EQ(sender_.ProtectRtp(plain, &size), DropReason::kSrtpError);
  EXPECT_EQ(size, plain.size());
}

INSTANTIATE_TEST_SUITE_P(Suites, SrtpSessionTest,
                         testing::Values(SrtpSuite::kAesCm128HmacSha1_80,
                                         SrtpSuite::kAeadAes128Gcm),
                         [](const testing::TestParamInfo<SrtpSuite>& p) {
                           return p.param == SrtpSuite::kAesCm128HmacSha1_80
                                      ? std::string("AesCm128HmacSha1_80")
                                      : std::string("AeadAes128Gcm");
                         });

TEST(SrtpSessionConfigTest, KeySizes) {
  EXPECT_EQ(SrtpSession::KeyMaterialSize(SrtpSuite::kAesCm128HmacSha1_80), 30u);
  EXPECT_EQ(SrtpSession::KeyMaterialSize(SrtpSuite::kAeadAes128Gcm), 28u);
}

TEST(SrtpSessionConfigTest, WrongKeySizeThrows) {
  const Bytes short_key(16, 1);
  EXPECT_THROW(SrtpSession(SrtpSuite::kAesCm128HmacSha1_80, SrtpDirection::kInbound, short_key),
               std::invalid_argument);
  const Bytes cm_key(30, 1);
  EXPECT_THROW(SrtpSession(SrtpSuite::kAeadAes128Gcm, SrtpDirection::kInbound, cm_key),
               std::invalid_argument);
}

TEST(SrtpSessionConfigTest, SuitesDoNotInteroperate) {
  SrtpSession cm(SrtpSuite::kAesCm128HmacSha1_80, SrtpDirection::kOutbound,
                 Key(SrtpSuite::kAesCm128HmacSha1_80, 1));
  SrtpSession gcm(SrtpSuite::kAeadAes128Gcm, SrtpDirection::kInbound,
                  Key(SrtpSuite::kAeadAes128Gcm, 1));
  Bytes wire = ProtectRtp(cm, RtpBytes(1));
  size_t size = 0;
  EXPECT_NE(gcm.UnprotectRtp(wire, &size), DropReason::kNone);
}

}  // namespace
}  // namespace mgw::dp
