// RTCP routing: keyframe requests upstream with a rate limit, NACKs answered from the packet
// cache (plain and RTX), receiver reports terminated, our own receiver reports to publishers.

#include <gtest/gtest.h>

#include "forwarder_harness.h"
#include "mgw/dp/rtcp_builder.h"
#include "mgw/dp/rtcp_feedback.h"

namespace mgw::dp::test {
namespace {

constexpr uint32_t kS1Ssrc = 0xA1;  // RTCP sender SSRC of subscriber 2
constexpr uint32_t kS2Out = 0x6000;
constexpr uint32_t kS2Rtx = 0x7000;

Bytes Built(size_t n, const std::array<uint8_t, 256>& buf) {
  return Bytes(buf.begin(), buf.begin() + n);
}

Bytes Pli(uint32_t sender, uint32_t media) {
  std::array<uint8_t, 256> buf{};
  return Built(BuildPli(buf, sender, media), buf);
}

Bytes Fir(uint32_t sender, uint32_t media, uint8_t seq) {
  std::array<uint8_t, 256> buf{};
  return Built(BuildFir(buf, sender, media, seq), buf);
}

Bytes Nack(uint32_t sender, uint32_t media, std::vector<uint16_t> lost) {
  std::array<uint8_t, 256> buf{};
  return Built(BuildNack(buf, sender, media, lost), buf);
}

// Publisher 1 (VP8, RTX), subscriber 2 (plain retransmission, RTCP SSRC kS1Ssrc) and
// subscriber 3 (RTX negotiated, own output SSRC), both receiving and started.
class ForwarderFeedbackTest : public testing::Test {
 protected:
  void SetUp() override {
    h.fwd.AddParticipant(WithVideo(1));
    ParticipantConfig s1 = ReceiveOnly(2);
    s1.rtcp_ssrc = kS1Ssrc;
    h.fwd.AddParticipant(s1);
    h.fwd.AddParticipant(ReceiveOnly(3));
    h.fwd.SetAddress(2, Addr(2));
    h.fwd.SetAddress(3, Addr(3));
    VideoSubscription plain;
    plain.requested_bitrate_bps = 2'000'000;
    h.fwd.Subscribe(2, 1, plain);
    VideoSubscription rtx = plain;
    rtx.output_ssrc = kS2Out;
    rtx.output_rtx_ssrc = kS2Rtx;
    rtx.rtx_payload_type = 98;
    h.fwd.Subscribe(3, 1, rtx);
    // Seq 100 keyframe, 101..104 deltas, 20 ms apart.
    for (uint16_t seq = 100; seq <= 104; ++seq) {
      Bytes payload = seq == 100 ? Vp8Keyframe() : Vp8Delta(static_cast<uint8_t>(seq));
      ASSERT_EQ(
          h.Send(MakeRtp(RtpSpec{VideoSsrc(1), seq, seq * 1800u, kVideoPt, seq == 104, payload}),
                 Addr(1)),
          DropReason::kNone);
      ASSERT_EQ(h.sent().size(), 2u);
      h.now_us += 20'000;
    }
  }

  Harness h;
};

TEST_F(ForwarderFeedbackTest, PliIsForwardedAtMostOncePerInterval) {
  const uint64_t t0 = h.now_us;
  ASSERT_EQ(h.Send(Pli(kS1Ssrc, VideoSsrc(1)), Addr(2)), DropReason::kNone);
  auto plis = h.RtcpTo(Addr(1), rtcp::kPayloadFeedback, rtcp::kFmtPli);
  ASSERT_EQ(plis.size(), 1u);
  EXPECT_EQ(LoadBe32(plis[0].data() + 8), VideoSsrc(1));  // mapped to the publisher's SSRC
  EXPECT_EQ(h.sent().size(), 1u);

  // Subscriber 3 (no RTCP SSRC: found by address) asks for the same stream 100 ms later.
  h.now_us = t0 + 100'000;
  ASSERT_EQ(h.Send(Pli(0xDEAD, kS2Out), Addr(3)), DropReason::kNone);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kKeyframeRequestLimited), 1u);
  h.now_us = t0 + 499'999;
  h.Poll();
  EXPECT_TRUE(h.RtcpTo(Addr(1), rtcp::kPayloadFeedback).empty());

  // The held-back request goes out once the interval has passed, once.
  h.now_us = t0 + 500'000;
  h.Poll();
  EXPECT_EQ(h.RtcpTo(Addr(1), rtcp::kPayloadFeedback, rtcp::kFmtPli).size(), 1u);
  h.now_us = t0 + 1'100'000;
  h.Poll();
  EXPECT_TRUE(h.RtcpTo(Addr(1), rtcp::kPayloadFeedback).empty());
  EXPECT_EQ(h.fwd.counters().keyframe_requests_received, 2u);
  EXPECT_EQ(h.fwd.counters().keyframe_requests_sent, 2u);

  // A fresh request after the interval passes straight through.
  h.now_us = t0 + 1'200'000;
  h.Send(Pli(kS1Ssrc, VideoSsrc(1)), Addr(2));
  EXPECT_EQ(h.RtcpTo(Addr(1), rtcp::kPayloadFeedback, rtcp::kFmtPli).size(), 1u);
}

TEST_F(ForwarderFeedbackTest, KeyframeArrivalCancelsHeldBackRequest) {
  h.Send(Pli(kS1Ssrc, VideoSsrc(1)), Addr(2));
  h.now_us += 100'000;
  h.Send(Pli(kS1Ssrc, VideoSsrc(1)), Addr(2));  // held back
  h.Send(MakeRtp(RtpSpec{VideoSsrc(1), 105, 0, kVideoPt, false, Vp8Keyframe()}), Addr(1));
  h.now_us += 1'000'000;
  h.Poll();
  EXPECT_TRUE(h.RtcpTo(Addr(1), rtcp::kPayloadFeedback).empty());
}

TEST_F(ForwarderFeedbackTest, FirIsForwardedAsFirWithOurSequenceNumber) {
  ASSERT_EQ(h.Send(Fir(kS1Ssrc, VideoSsrc(1), 9), Addr(2)), DropReason::kNone);
  auto firs = h.RtcpTo(Addr(1), rtcp::kPayloadFeedback, rtcp::kFmtFir);
  ASSERT_EQ(firs.size(), 1u);
  auto c = RtcpCompound::Parse(firs[0]);
  FirView fir(*c->begin());
  EXPECT_EQ(fir.sender_ssrc(), TestConfig().local_ssrc);
  ASSERT_EQ(fir.entry_count(), 1u);
  EXPECT_EQ(fir.entry(0).ssrc, VideoSsrc(1));
  EXPECT_EQ(fir.entry(0).seq_nr, 0);
  h.now_us += 600'000;
  h.Send(Fir(0xDEAD, kS2Out, 1), Addr(3));
  firs = h.RtcpTo(Addr(1), rtcp::kPayloadFeedback, rtcp::kFmtFir);
  ASSERT_EQ(firs.size(), 1u);
  c = RtcpCompound::Parse(firs[0]);
  EXPECT_EQ(FirView(*c->begin()).entry(0).seq_nr, 1);
}

TEST_F(ForwarderFeedbackTest, FeedbackForUnknownSsrcIsCounted) {
  h.Send(Pli(kS1Ssrc, 0x12345), Addr(2));
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kUnknownLeg), 1u);
  h.Send(Nack(kS1Ssrc, 0x12345, {1}), Addr(2));
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kUnknownLeg), 2u);
  EXPECT_TRUE(h.sent().empty());
}

TEST_F(ForwarderFeedbackTest, NackIsAnsweredWithPlainRetransmission) {
  ASSERT_EQ(h.Send(Nack(kS1Ssrc, VideoSsrc(1), {101, 103}), Addr(2)), DropReason::kNone);
  const auto out = h.SentTo(Addr(2));
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const uint16_t seq = i == 0 ? 101 : 103;
    EXPECT_FALSE(out[i].zero_copy);  // built from the cache, whole packet in head
    const auto rtp = ReadRtp(out[i].wire);
    ASSERT_TRUE(rtp.has_value());
    EXPECT_EQ(rtp->ssrc, VideoSsrc(1));
    EXPECT_EQ(rtp->seq, seq);
    EXPECT_EQ(rtp->ts, seq * 1800u);
    EXPECT_EQ(rtp->pt, kVideoPt);
    EXPECT_EQ(rtp->payload, Vp8Delta(static_cast<uint8_t>(seq)));
  }
  EXPECT_EQ(h.fwd.counters().retransmissions_sent, 2u);
  EXPECT_EQ(h.fwd.Subscription(2, 1, MediaKind::kVideo)->stats.retransmissions, 2u);
}

TEST_F(ForwarderFeedbackTest, NackIsAnsweredWithRtxWhenNegotiated) {
  ASSERT_EQ(h.Send(Nack(0xDEAD, kS2Out, {102, 104}), Addr(3)), DropReason::kNone);
  const auto out = h.SentTo(Addr(3));
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const uint16_t seq = i == 0 ? 102 : 104;
    const auto rtp = ReadRtp(out[i].wire);
    ASSERT_TRUE(rtp.has_value());
    EXPECT_EQ(rtp->ssrc, kS2Rtx);
    EXPECT_EQ(rtp->pt, 98);
    EXPECT_EQ(rtp->seq, i);  // the leg's own RTX sequence space
    EXPECT_EQ(rtp->ts, seq * 1800u);
    EXPECT_EQ(rtp->marker, seq == 104);
    ASSERT_GE(rtp->payload.size(), 2u);
    EXPECT_EQ(LoadBe16(rtp->payload.data()), seq);  // OSN: the number the subscriber saw
    EXPECT_EQ(Bytes(rtp->payload.begin() + 2, rtp->payload.end()),
              Vp8Delta(static_cast<uint8_t>(seq)));
  }
  h.Send(Nack(0xDEAD, kS2Out, {101}), Addr(3));
  EXPECT_EQ(ReadRtp(h.SentTo(Addr(3))[0].wire)->seq, 2);
}

// The publisher restarts with the same SSRC and a new sequence number (RFC 3550 A.1). Every leg
// re-bases on the second packet: subscribers see numbers continue past one gap, and the NACK for
// that gap brings the restart's first packet from the cache under the new numbering.
TEST_F(ForwarderFeedbackTest, PublisherRestartIsRebasedAndItsFirstPacketRecoverable) {
  const uint16_t restart = 40'000;  // behind 104 in 16-bit order
  const uint32_t ts0 = 7'777'777;
  Bytes key = Vp8Keyframe();
  EXPECT_EQ(h.Send(MakeRtp(RtpSpec{VideoSsrc(1), restart, ts0, kVideoPt, false, key}), Addr(1)),
            DropReason::kNone);
  EXPECT_TRUE(h.SentTo(Addr(2)).empty());  // behind the legs' switch point: held back
  h.now_us += 20'000;
  ASSERT_EQ(
      h.Send(MakeRtp(RtpSpec{VideoSsrc(1), restart + 1, ts0 + 1800, kVideoPt, true, Vp8Delta(1)}),
             Addr(1)),
      DropReason::kNone);
  EXPECT_EQ(h.fwd.counters().sequence_rebases, 2u);  // one per leg
  const auto out = h.SentTo(Addr(2));
  ASSERT_EQ(out.size(), 1u);
  const auto second = ReadRtp(out[0].wire);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->seq, 106);  // 105 is the restart's first packet's
  EXPECT_EQ(second->payload, Vp8Delta(1));
  const auto rtx_out = h.SentTo(Addr(3));
  ASSERT_EQ(rtx_out.size(), 1u);
  EXPECT_EQ(ReadRtp(rtx_out[0].wire)->seq, 106);

  ASSERT_EQ(h.Send(Nack(kS1Ssrc, VideoSsrc(1), {105}), Addr(2)), DropReason::kNone);
  const auto resent = h.SentTo(Addr(2));
  ASSERT_EQ(resent.size(), 1u);
  const auto first = ReadRtp(resent[0].wire);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->seq, 105);
  EXPECT_EQ(first->payload, key);
  EXPECT_EQ(first->ts, second->ts - 1800);  // on the new timestamp base too

  // The stream goes on without another re-base.
  h.now_us += 20'000;
  ASSERT_EQ(
      h.Send(MakeRtp(RtpSpec{VideoSsrc(1), restart + 2, ts0 + 3600, kVideoPt, true, Vp8Delta(2)}),
             Addr(1)),
      DropReason::kNone);
  EXPECT_EQ(ReadRtp(h.SentTo(Addr(2)).at(0).wire)->seq, 107);
  EXPECT_EQ(h.fwd.counters().sequence_rebases, 2u);
}

TEST_F(ForwarderFeedbackTest, NackMissAndExpiry) {
  h.Send(Nack(kS1Ssrc, VideoSsrc(1), {99, 200}), Addr(2));  // before the start, never sent
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kCacheMiss), 2u);
  h.now_us += 950'000;  // seq 100 is now 1.05 s old, seq 104 0.97 s
  h.Send(Nack(kS1Ssrc, VideoSsrc(1), {100}), Addr(2));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kCacheExpired), 1u);
  h.Send(Nack(kS1Ssrc, VideoSsrc(1), {104}), Addr(2));  // still within the cache depth
  EXPECT_EQ(h.sent().size(), 1u);
}

TEST_F(ForwarderFeedbackTest, RtxFromPublisherIsForwardedAsMedia) {
  // The publisher repairs seq 106 (lost on its uplink) with RTX after 107 arrived.
  h.Send(MakeRtp(RtpSpec{VideoSsrc(1), 107, 3000, kVideoPt, false, Vp8Delta()}), Addr(1));
  Bytes rtx_payload = {0x00, 106};
  const Bytes original = Vp8Delta(0x66);
  rtx_payload.insert(rtx_payload.end(), original.begin(), original.end());
  ASSERT_EQ(h.Send(MakeRtp(RtpSpec{RtxSsrc(1), 1, 2800, kRtxPt, false, rtx_payload}), Addr(1)),
            DropReason::kNone);
  EXPECT_EQ(h.fwd.counters().rtx_received, 1u);
  const auto out = h.SentTo(Addr(3));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].zero_copy);
  const auto rtp = ReadRtp(out[0].wire);
  EXPECT_EQ(rtp->ssrc, kS2Out);
  EXPECT_EQ(rtp->seq, 106);
  EXPECT_EQ(rtp->pt, kVideoPt);
  EXPECT_EQ(rtp->payload, original);
  // And it is now in the cache for later NACKs.
  h.Send(Nack(kS1Ssrc, VideoSsrc(1), {106}), Addr(2));
  EXPECT_EQ(ReadRtp(h.SentTo(Addr(2))[0].wire)->payload, original);
}

TEST_F(ForwarderFeedbackTest, ReceiverReportsAreTerminatedAndRecorded) {
  ReportBlock block{};
  block.ssrc = kS2Out;
  block.fraction_lost = 0x40;
  block.cumulative_lost = 3;
  block.jitter = 12;
  std::array<uint8_t, 256> buf{};
  const Bytes rr = Built(BuildReceiverReport(buf, 0xDEAD, std::span(&block, 1)), buf);
  ASSERT_EQ(h.Send(rr, Addr(3)), DropReason::kNone);
  EXPECT_TRUE(h.sent().empty());  // never forwarded to the publisher
  EXPECT_EQ(h.fwd.counters().receiver_reports_terminated, 1u);
  const auto leg = h.fwd.Subscription(3, 1, MediaKind::kVideo);
  EXPECT_EQ(leg->stats.fraction_lost, 0x40);
  EXPECT_EQ(leg->stats.cumulative_lost, 3);
  EXPECT_EQ(leg->stats.jitter, 12u);
  EXPECT_EQ(leg->stats.last_report_us, h.now_us);
}

// Poll covers a large table a slice per call (the work per call stays bounded with thousands of
// publishers): 600 publishers get their receiver reports over several calls, each exactly once.
TEST(ForwarderReceiverReportTest, PollSweepsLargeTablesInSlices) {
  ForwarderConfig config = TestConfig();
  config.max_participants = 1024;
  config.max_streams = 2048;
  Harness h(config);
  constexpr uint32_t kPublishers = 600;
  for (uint32_t id = 1; id <= kPublishers; ++id) {
    h.fwd.AddParticipant(AudioOnly(id, /*meeting=*/id));
    const Endpoint from = Endpoint::FromIpv4(0xC6130000u + id, 5000);
    ASSERT_EQ(h.Send(MakeRtp(RtpSpec{AudioSsrc(id), 1, 960, kOpusPt}), from),
              DropReason::kNoSubscribers);
  }
  h.now_us += 100'000;
  uint64_t reported = 0;
  int calls = 0;
  for (; calls < 8 && reported < kPublishers; ++calls) {
    h.Poll();
    const uint64_t now_reported = h.fwd.counters().receiver_reports_sent;
    EXPECT_LE(now_reported - reported, 256u) << "call " << calls;  // one slice at most
    reported = now_reported;
  }
  EXPECT_EQ(reported, kPublishers);
  EXPECT_GE(calls, 3);  // 600 participants take at least three slices
  h.Poll();             // a new sweep: everyone was reported within the interval
  EXPECT_EQ(h.fwd.counters().receiver_reports_sent, kPublishers);
}

TEST(ForwarderReceiverReportTest, PollSendsReceiverReportsToPublishers) {
  Harness h;
  h.fwd.AddParticipant(AudioOnly(1));
  // Audio 1..10 with 3 and 4 lost.
  for (uint16_t seq = 1; seq <= 10; ++seq) {
    if (seq == 3 || seq == 4) continue;
    EXPECT_EQ(h.Send(MakeRtp(RtpSpec{AudioSsrc(1), seq, seq * 960u, kOpusPt}), Addr(1)),
              DropReason::kNoSubscribers);
    h.now_us += 20'000;
  }
  std::array<uint8_t, 256> buf{};
  const SenderInfo info{0x83AA7E80, 0x12345678, 9600, 8, 32};
  const Bytes sr = Built(BuildSenderReport(buf, AudioSsrc(1), info, {}), buf);
  ASSERT_EQ(h.Send(sr, Addr(1)), DropReason::kNone);
  h.now_us += 500'000;

  h.Poll();
  auto rrs = h.RtcpTo(Addr(1), rtcp::kReceiverReport);
  ASSERT_EQ(rrs.size(), 1u);
  auto c = RtcpCompound::Parse(rrs[0]);
  const ReceiverReportView rr(*c->begin());
  EXPECT_EQ(rr.ssrc(), TestConfig().local_ssrc);
  ASSERT_EQ(rr.block_count(), 1u);
  const ReportBlock b = rr.block(0);
  EXPECT_EQ(b.ssrc, AudioSsrc(1));
  EXPECT_EQ(b.extended_highest_seq, 10u);
  EXPECT_EQ(b.cumulative_lost, 2);
  EXPECT_EQ(b.fraction_lost, 2 * 256 / 10);
  EXPECT_EQ(b.last_sr, info.CompactNtp());
  EXPECT_EQ(b.delay_since_last_sr, 32768u);  // 0.5 s
  EXPECT_EQ(h.fwd.counters().receiver_reports_sent, 1u);

  h.now_us += 999'999;
  h.Poll();
  EXPECT_TRUE(h.RtcpTo(Addr(1), rtcp::kReceiverReport).empty());
  h.now_us += 1;
  h.Poll();
  EXPECT_EQ(h.RtcpTo(Addr(1), rtcp::kReceiverReport).size(), 1u);

  // A publisher that went silent is no longer reported on.
  h.now_us += 3'000'000;
  h.Poll();
  EXPECT_TRUE(h.RtcpTo(Addr(1), rtcp::kReceiverReport).empty());
}

}  // namespace
}  // namespace mgw::dp::test
