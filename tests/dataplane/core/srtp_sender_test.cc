// SrtpSender (OpenSSL) against libsrtp's own protect, both suites: the same bytes for the same
// packets under the same keys, across the rollover, for retransmissions and every header shape,
// and libsrtp's receiver reads them.

#include "mgw/dp/srtp_sender.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "mgw/dp/srtp_session.h"

namespace mgw::dp {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Key(SrtpSuite suite, uint8_t seed) {
  Bytes k(SrtpSession::KeyMaterialSize(suite));
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 37 + i * 11);
  return k;
}

// An RTP packet: `csrcs` CSRCs, a header extension of `extension_words` words when >= 0,
// `payload` bytes of payload.
Bytes Rtp(uint16_t seq, uint32_t ssrc, size_t payload, int csrcs = 0, int extension_words = -1) {
  Bytes b = {static_cast<uint8_t>(0x80 | (extension_words >= 0 ? 0x10 : 0) | csrcs),
             0x60,
             static_cast<uint8_t>(seq >> 8),
             static_cast<uint8_t>(seq),
             0x01,
             0x02,
             static_cast<uint8_t>(seq),
             0x04,
             static_cast<uint8_t>(ssrc >> 24),
             static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),
             static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < 4 * csrcs; ++i) b.push_back(static_cast<uint8_t>(0xC0 + i));
  if (extension_words >= 0) {
    b.insert(b.end(), {0xBE, 0xDE, 0, static_cast<uint8_t>(extension_words)});
    for (int i = 0; i < 4 * extension_words; ++i) b.push_back(static_cast<uint8_t>(0xE0 + i));
  }
  for (size_t i = 0; i < payload; ++i) b.push_back(static_cast<uint8_t>(i * 7 + seq));
  return b;
}

struct Protected {
  DropReason reason;
  Bytes wire;
};

Protected ByLibsrtp(SrtpSession& s, const Bytes& plain) {
  Bytes buf(plain.size() + kSrtpMaxOverhead);
  std::copy(plain.begin(), plain.end(), buf.begin());
  size_t size = plain.size();
  const DropReason r = s.ProtectRtp(buf, &size);
  buf.resize(r == DropReason::kNone ? size : 0);
  return {r, buf};
}

Protected ByOpenssl(SrtpSender& s, SrtpSendIndex& index, const Bytes& plain) {
  Bytes buf(plain.size() + SrtpSender::TrailerSize(s.suite()));
  std::copy(plain.begin(), plain.end(), buf.begin());
  size_t size = plain.size();
  const DropReason r = s.ProtectRtp(buf, &size, index);
  buf.resize(r == DropReason::kNone ? size : 0);
  return {r, buf};
}

class SrtpSenderTest : public testing::TestWithParam<SrtpSuite> {
 protected:
  // Each packet through both senders: identical results, and libsrtp's receiver reads ours.
  // `expected`: what both must give.
  void ExpectSame(const Bytes& plain, SrtpSendIndex& index, bool receive = true,
                  DropReason expected = DropReason::kNone) {
    const Protected theirs = ByLibsrtp(libsrtp_, plain);
    const Protected ours = ByOpenssl(openssl_, index, plain);
    ASSERT_EQ(theirs.reason, expected);
    ASSERT_EQ(ours.reason, expected);
    EXPECT_EQ(ours.wire, theirs.wire);
    if (!receive || ours.reason != DropReason::kNone) return;
    Bytes wire = ours.wire;
    size_t size = 0;
    ASSERT_EQ(receiver_.UnprotectRtp(wire, &size), DropReason::kNone);
    wire.resize(size);
    EXPECT_EQ(wire, plain);
  }

  SrtpSuite suite_ = GetParam();
  SrtpSession libsrtp_{suite_, SrtpDirection::kOutbound, Key(suite_, 1)};
  SrtpSender openssl_{suite_, Key(suite_, 1)};
  SrtpSession receiver_{suite_, SrtpDirection::kInbound, Key(suite_, 1)};
};

TEST_P(SrtpSenderTest, SameBytesAsLibsrtpForEveryHeaderShape) {
  SrtpSendIndex index;
  uint16_t seq = 100;
  for (int csrcs : {0, 1, 15}) {
    for (int extension : {-1, 0, 3}) {
      for (size_t payload : {0, 1, 17, 160, 1200}) {
        ExpectSame(Rtp(seq++, 0x11223344, payload, csrcs, extension), index);
      }
    }
  }
}

TEST_P(SrtpSenderTest, SameBytesAcrossTheRolloverAndForRetransmissions) {
  SrtpSendIndex index;
  // A stream starting high: libsrtp takes ROC 0 until the index passes 32,768.
  for (uint32_t seq = 40000; seq < 40010; ++seq) ExpectSame(Rtp(seq, 7, 100), index);
  for (uint32_t seq = 65500; seq < 65536 + 300; seq += 7) {
    ExpectSame(Rtp(static_cast<uint16_t>(seq), 7, 100), index);  // ROC 0 -> 1
  }
  EXPECT_EQ(index.highest >> 16, 1u);
  // A retransmission from before the wrap (ROC 0 again), then one from after it; libsrtp's
  // receiver has seen both already, so only the bytes are compared.
  ExpectSame(Rtp(65530, 7, 100), index, false);
  ExpectSame(Rtp(5, 7, 100), index, false);
  // Too old for the window: both refuse.
  ExpectSame(Rtp(static_cast<uint16_t>(65536 + 290 - 1030), 7, 100), index, false,
             DropReason::kSrtpReplay);
  // A gap forward, and on into ROC 2.
  for (uint32_t seq = 30000; seq < 65536 + 40000; seq += 20000) {
    ExpectSame(Rtp(static_cast<uint16_t>(seq), 7, 100), index);
  }
  EXPECT_EQ(index.highest >> 16, 2u);
}

TEST_P(SrtpSenderTest, EachSsrcHasItsOwnIndex) {
  SrtpSendIndex a;
  SrtpSendIndex b;
  for (uint32_t seq = 65530; seq < 65545; ++seq) ExpectSame(Rtp(seq & 0xffff, 1, 50), a);
  for (uint32_t seq = 10; seq < 20; ++seq) ExpectSame(Rtp(seq & 0xffff, 2, 50), b);
  EXPECT_EQ(a.highest >> 16, 1u);
  EXPECT_EQ(b.highest, 19u);
}

TEST_P(SrtpSenderTest, MalformedPacketsAndShortBuffersAreRefused) {
  SrtpSendIndex index;
  Bytes short_header = Rtp(1, 1, 0, 2);
  short_header.resize(16);  // two CSRCs announced, one present
  EXPECT_EQ(ByOpenssl(openssl_, index, short_header).reason, DropReason::kSrtpError);
  Bytes short_extension = Rtp(1, 1, 0, 0, 4);
  short_extension.resize(20);  // 4 extension words announced, 1 present
  EXPECT_EQ(ByOpenssl(openssl_, index, short_extension).reason, DropReason::kSrtpError);
  EXPECT_EQ(ByOpenssl(openssl_, index, Bytes(11, 0x80)).reason, DropReason::kSrtpError);
  const Bytes plain = Rtp(1, 1, 100);
  Bytes no_room = plain;
  size_t size = plain.size();
  no_room.resize(plain.size() + SrtpSender::TrailerSize(suite_) - 1);
  EXPECT_EQ(openssl_.ProtectRtp(no_room, &size, index), DropReason::kSrtpError);
  EXPECT_EQ(size, plain.size());
  EXPECT_EQ(index.highest, 0u);  // nothing refused moved the index
}

TEST_P(SrtpSenderTest, OtherKeysDoNotInteroperate) {
  SrtpSendIndex index;
  SrtpSender other(suite_, Key(suite_, 2));
  Bytes wire = ByOpenssl(other, index, Rtp(1, 1, 100)).wire;
  size_t size = 0;
  EXPECT_EQ(receiver_.UnprotectRtp(wire, &size), DropReason::kSrtpAuthFail);
  EXPECT_THROW(SrtpSender(suite_, Bytes(29, 1)), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Suites, SrtpSenderTest,
                         testing::Values(SrtpSuite::kAesCm128HmacSha1_80,
                                         SrtpSuite::kAeadAes128Gcm),
                         [](const testing::TestParamInfo<SrtpSuite>& p) {
                           return p.param == SrtpSuite::kAesCm128HmacSha1_80
                                      ? std::string("AesCm128HmacSha1_80")
                                      : std::string("AeadAes128Gcm");
                         });

}  // namespace
}  // namespace mgw::dp
