// SRTP through the Forwarder, both suites: inbound unprotect, per-subscriber protect into the
// output arena, replay and forgery drops, and NAT rebinding on authenticated packets.

#include <gtest/gtest.h>

#include <ostream>

#include "forwarder_harness.h"
#include "mgw/dp/rtcp_builder.h"
#include "mgw/dp/rtcp_feedback.h"
#include "mgw/dp/srtp_session.h"
#include "rtcp_fixtures.h"

namespace mgw::dp::test {
namespace {

Bytes Key(SrtpSuite suite, uint8_t seed) {
  Bytes k(SrtpSession::KeyMaterialSize(suite));
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 31 + i);
  return k;
}

// A suite, and which sender protects RTP to subscribers.
struct SrtpCase {
  SrtpSuite suite;
  bool openssl_srtp_rtp;
};

// Readable parameters in failure messages.
void PrintTo(const SrtpCase& c, std::ostream* os) {
  *os << (c.suite == SrtpSuite::kAesCm128HmacSha1_80 ? "AES_CM_128_HMAC_SHA1_80"
                                                     : "AEAD_AES_128_GCM")
      << (c.openssl_srtp_rtp ? " (OpenSSL sender)" : " (libsrtp sender)");
}

ForwarderConfig ConfigFor(const SrtpCase& c) {
  ForwarderConfig config = TestConfig();
  config.openssl_srtp_rtp = c.openssl_srtp_rtp;
  return config;
}

// Participant 1 publishes audio and video, participant 2 receives; both use SRTP. The test plays
// both endpoints with their own libsrtp sessions.
class ForwarderSrtpTest : public testing::TestWithParam<SrtpCase> {
 protected:
  void SetUp() override {
    ParticipantConfig pub = WithVideo(1);
    pub.requires_srtp = true;
    h.fwd.AddParticipant(pub);
    ParticipantConfig sub = ReceiveOnly(2);
    sub.requires_srtp = true;
    h.fwd.AddParticipant(sub);
  }

  void InstallKeys() {
    h.fwd.SetSrtpKeys(1, suite, Key(suite, 1), Key(suite, 2));
    h.fwd.SetSrtpKeys(2, suite, Key(suite, 3), Key(suite, 4));
    h.fwd.SetAddress(2, Addr(2));
  }

  Bytes Protect(SrtpSession& s, const Bytes& plain, bool rtcp = false) {
    Bytes buf(plain.size() + kSrtpMaxOverhead);
    std::copy(plain.begin(), plain.end(), buf.begin());
    size_t size = plain.size();
    EXPECT_EQ(rtcp ? s.ProtectRtcp(buf, &size) : s.ProtectRtp(buf, &size), DropReason::kNone);
    buf.resize(size);
    return buf;
  }

  Bytes Audio(uint16_t seq) {
    return MakeRtp(RtpSpec{AudioSsrc(1), seq, seq * 960u, kOpusPt, false, {9, 8, 7, 6, 5, 4}});
  }

  Bytes Video(uint16_t seq) {
    return MakeRtp(RtpSpec{VideoSsrc(1), seq, seq * 3000u, kVideoPt, false, Vp8Keyframe()});
  }

  void SubscribeToVideo() {
    VideoSubscription sub;
    sub.requested_bitrate_bps = 1'000'000;
    h.fwd.Subscribe(2, 1, sub);
  }

  // Sends `plain` protected from the publisher; the one output to the subscriber as `rx` reads
  // it.
  DropReason ForwardToSubscriber(const Bytes& plain, SrtpSession& rx) {
    EXPECT_EQ(h.Send(Protect(publisher_tx, plain), Addr(1)), DropReason::kNone);
    const auto out = h.SentTo(Addr(2));
    if (out.size() != 1) {
      ADD_FAILURE() << out.size() << " outputs to the subscriber";
      return DropReason::kOutputFull;
    }
    Bytes wire = out[0].wire;
    size_t size = 0;
    return rx.UnprotectRtp(wire, &size);
  }

  SrtpSuite suite = GetParam().suite;
  Harness h{ConfigFor(GetParam())};
  SrtpSession publisher_tx{suite, SrtpDirection::kOutbound, Key(suite, 1)};
  SrtpSession publisher_rx{suite, SrtpDirection::kInbound, Key(suite, 2)};
  SrtpSession subscriber_tx{suite, SrtpDirection::kOutbound, Key(suite, 3)};
  SrtpSession subscriber_rx{suite, SrtpDirection::kInbound, Key(suite, 4)};
};

TEST_P(ForwarderSrtpTest, DropsUntilKeysAreInstalled) {
  EXPECT_EQ(h.Send(Protect(publisher_tx, Audio(1)), Addr(1)), DropReason::kSrtpNoKeys);
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kSrtpNoKeys), 1u);
  EXPECT_FALSE(h.fwd.Address(1).has_value());  // no latching on unverified traffic
}

TEST_P(ForwarderSrtpTest, ProtectedEndToEnd) {
  InstallKeys();
  const Bytes plain = Audio(1);
  ASSERT_EQ(h.Send(Protect(publisher_tx, plain), Addr(1)), DropReason::kNone);
  const auto out = h.SentTo(Addr(2));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].zero_copy);  // encrypted per subscriber: one contiguous copy
  EXPECT_NE(out[0].wire, plain);
  Bytes wire = out[0].wire;
  size_t size = 0;
  ASSERT_EQ(subscriber_rx.UnprotectRtp(wire, &size), DropReason::kNone);
  wire.resize(size);
  EXPECT_EQ(wire, plain);
}

TEST_P(ForwarderSrtpTest, ReplayAndForgeryAreDropped) {
  InstallKeys();
  const Bytes wire = Protect(publisher_tx, Audio(1));
  ASSERT_EQ(h.Send(wire, Addr(1)), DropReason::kNone);
  EXPECT_EQ(h.Send(wire, Addr(1)), DropReason::kSrtpReplay);
  EXPECT_TRUE(h.sent().empty());
  Bytes forged = Protect(publisher_tx, Audio(2));
  forged[14] ^= 0xFF;
  EXPECT_EQ(h.Send(forged, Addr(1)), DropReason::kSrtpAuthFail);
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kSrtpReplay), 1u);
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kSrtpAuthFail), 1u);
}

TEST_P(ForwarderSrtpTest, AuthenticatedPacketFromNewAddressMovesTheLatch) {
  InstallKeys();
  ASSERT_EQ(h.Send(Protect(publisher_tx, Audio(1)), Addr(1)), DropReason::kNone);
  EXPECT_EQ(h.fwd.Address(1), Addr(1));
  // Forged traffic from elsewhere neither passes nor moves the address.
  Bytes forged = Audio(2);
  forged.resize(forged.size() + 10, 0x5A);  // garbage where the tag belongs
  EXPECT_EQ(h.Send(forged, Addr(66)), DropReason::kSrtpAuthFail);
  EXPECT_EQ(h.fwd.Address(1), Addr(1));
  // The NAT rebinds: the next genuine packet arrives from a new port.
  ASSERT_EQ(h.Send(Protect(publisher_tx, Audio(3)), Addr(1, 6000)), DropReason::kNone);
  EXPECT_EQ(h.fwd.Address(1), Addr(1, 6000));
  EXPECT_EQ(h.fwd.counters().addresses_moved, 1u);
  EXPECT_EQ(h.SentTo(Addr(2)).size(), 1u);
}

TEST_P(ForwarderSrtpTest, SrtcpBothWays) {
  InstallKeys();
  VideoSubscription s;
  s.requested_bitrate_bps = 1'000'000;
  h.fwd.Subscribe(2, 1, s);
  ASSERT_EQ(h.Send(Protect(publisher_tx, MakeRtp(RtpSpec{VideoSsrc(1), 50, 4500, kVideoPt, false,
                                                         Vp8Keyframe()})),
                   Addr(1)),
            DropReason::kNone);
  ASSERT_EQ(h.SentTo(Addr(2)).size(), 1u);

  // Publisher SR, protected, reaches the subscriber re-protected with the subscriber's keys.
  std::array<uint8_t, 128> buf{};
  const SenderInfo info{1, 2, 4600, 1, 6};
  const Bytes sr(buf.begin(), buf.begin() + BuildSenderReport(buf, VideoSsrc(1), info, {}));
  ASSERT_EQ(h.Send(Protect(publisher_tx, sr, true), Addr(1)), DropReason::kNone);
  const auto out = h.SentTo(Addr(2));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].rtcp);
  Bytes wire = out[0].wire;
  size_t size = 0;
  ASSERT_EQ(subscriber_rx.UnprotectRtcp(wire, &size), DropReason::kNone);
  wire.resize(size);
  auto c = RtcpCompound::Parse(wire);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(SenderReportView(*c->begin()).sender_info().rtp_timestamp, 4600u);

  // Subscriber PLI, protected, becomes a protected PLI to the publisher.
  const Bytes pli(buf.begin(), buf.begin() + BuildPli(buf, 0xDEAD, VideoSsrc(1)));
  ASSERT_EQ(h.Send(Protect(subscriber_tx, pli, true), Addr(2)), DropReason::kNone);
  const auto up = h.SentTo(Addr(1));
  ASSERT_EQ(up.size(), 1u);
  wire = up[0].wire;
  ASSERT_EQ(publisher_rx.UnprotectRtcp(wire, &size), DropReason::kNone);
  wire.resize(size);
  c = RtcpCompound::Parse(wire);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(FeedbackView(*c->begin()).media_ssrc(), VideoSsrc(1));

  // A plain (unprotected) RTCP compound from the subscriber fails authentication.
  ReportBlock block{};
  block.ssrc = VideoSsrc(1);
  const Bytes rr(buf.begin(), buf.begin() + BuildReceiverReport(buf, 0xDEAD, std::span(&block, 1)));
  EXPECT_EQ(h.Send(fixtures::Concat({rr, pli}), Addr(2)), DropReason::kSrtpAuthFail);
  // One too short to hold an SRTCP trailer is refused by libsrtp before any tag check.
  EXPECT_EQ(h.Send(pli, Addr(2)), DropReason::kSrtpError);

  // NACK answered from the cache is protected too (plain retransmission: same index, allowed).
  const std::vector<uint16_t> lost = {50};
  const Bytes nack(buf.begin(), buf.begin() + BuildNack(buf, 0xDEAD, VideoSsrc(1), lost));
  ASSERT_EQ(h.Send(Protect(subscriber_tx, nack, true), Addr(2)), DropReason::kNone);
  const auto rtx = h.SentTo(Addr(2));
  ASSERT_EQ(rtx.size(), 1u);
  wire = rtx[0].wire;
  SrtpSession fresh_rx(suite, SrtpDirection::kInbound, Key(suite, 4));  // new replay window
  ASSERT_EQ(fresh_rx.UnprotectRtp(wire, &size), DropReason::kNone);
  wire.resize(size);
  EXPECT_EQ(ReadRtp(wire)->seq, 50);
  EXPECT_EQ(ReadRtp(wire)->payload, Vp8Keyframe());
}

// Every leg to a subscriber protects with the subscriber's current keys: its one receive context
// reads every leg, and new keys reach every leg at once.
TEST_P(ForwarderSrtpTest, EveryLegProtectsWithTheSubscribersCurrentKeys) {
  InstallKeys();
  SubscribeToVideo();
  // Two SSRCs, two legs, one receive context.
  EXPECT_EQ(ForwardToSubscriber(Audio(1), subscriber_rx), DropReason::kNone);
  EXPECT_EQ(ForwardToSubscriber(Video(50), subscriber_rx), DropReason::kNone);
  EXPECT_EQ(ForwardToSubscriber(Audio(2), subscriber_rx), DropReason::kNone);

  h.fwd.SetSrtpKeys(2, suite, Key(suite, 3), Key(suite, 5));
  SrtpSession new_rx(suite, SrtpDirection::kInbound, Key(suite, 5));
  EXPECT_EQ(ForwardToSubscriber(Audio(3), subscriber_rx), DropReason::kSrtpAuthFail);
  EXPECT_EQ(ForwardToSubscriber(Video(51), subscriber_rx), DropReason::kSrtpAuthFail);
  EXPECT_EQ(ForwardToSubscriber(Audio(4), new_rx), DropReason::kNone);
  EXPECT_EQ(ForwardToSubscriber(Video(52), new_rx), DropReason::kNone);
}

// New keys are a new context on the subscriber's side too: a leg past a rollover starts its
// index over, as the subscriber's new receive context expects.
TEST_P(ForwarderSrtpTest, NewKeysRestartEveryLegsIndex) {
  InstallKeys();
  SubscribeToVideo();
  for (uint32_t seq = 65530; seq < 65540; ++seq) {
    const auto s = static_cast<uint16_t>(seq);
    EXPECT_EQ(ForwardToSubscriber(Video(s), subscriber_rx), DropReason::kNone) << seq;
  }
  h.fwd.SetSrtpKeys(2, suite, Key(suite, 3), Key(suite, 5));
  SrtpSession new_rx(suite, SrtpDirection::kInbound, Key(suite, 5));
  EXPECT_EQ(ForwardToSubscriber(Video(10), new_rx), DropReason::kNone);
}

// A leg removed and subscribed again sends its SSRC on from where it was, across the rollover:
// the subscriber's receive context is the same one.
TEST_P(ForwarderSrtpTest, ResubscribingContinuesTheSsrcsIndex) {
  InstallKeys();
  SubscribeToVideo();
  for (uint32_t seq = 65530; seq < 65540; ++seq) {
    const auto s = static_cast<uint16_t>(seq);
    EXPECT_EQ(ForwardToSubscriber(Video(s), subscriber_rx), DropReason::kNone) << seq;
  }
  h.fwd.Unsubscribe(2, 1);
  SubscribeToVideo();
  for (uint16_t seq = 4; seq < 8; ++seq) {
    EXPECT_EQ(ForwardToSubscriber(Video(seq), subscriber_rx), DropReason::kNone) << seq;
  }
}

INSTANTIATE_TEST_SUITE_P(Suites, ForwarderSrtpTest,
                         testing::Values(SrtpCase{SrtpSuite::kAesCm128HmacSha1_80, false},
                                         SrtpCase{SrtpSuite::kAesCm128HmacSha1_80, true},
                                         SrtpCase{SrtpSuite::kAeadAes128Gcm, false},
                                         SrtpCase{SrtpSuite::kAeadAes128Gcm, true}),
                         [](const testing::TestParamInfo<SrtpCase>& p) {
                           return std::string(p.param.suite == SrtpSuite::kAesCm128HmacSha1_80
                                                  ? "AesCm128HmacSha1_80"
                                                  : "AeadAes128Gcm") +
                                  (p.param.openssl_srtp_rtp ? "Openssl" : "Libsrtp");
                         });

}  // namespace
}  // namespace mgw::dp::test
