// Video subscriptions: start on a keyframe, keyframe requests for waiting legs, limits per role,
// and swaps.

#include <gtest/gtest.h>

#include "forwarder_harness.h"
#include "mgw/dp/config_error.h"
#include "mgw/dp/rtcp_builder.h"
#include "mgw/dp/rtcp_feedback.h"

namespace mgw::dp::test {
namespace {

Bytes Video(ParticipantId from, uint16_t seq, uint32_t ts, const Bytes& payload) {
  return MakeRtp(RtpSpec{VideoSsrc(from), seq, ts, kVideoPt, false, payload});
}

VideoSubscription Sub(uint32_t bps, uint32_t output_ssrc = 0) {
  VideoSubscription s;
  s.requested_bitrate_bps = bps;
  s.output_ssrc = output_ssrc;
  return s;
}

TEST(ForwarderSubscriptionTest, NewSubscriptionStartsOnKeyframeAfterPli) {
  Harness h;
  h.fwd.AddParticipant(WithVideo(1));
  h.fwd.AddParticipant(ReceiveOnly(2));
  h.fwd.SetAddress(2, Addr(2));
  h.fwd.Subscribe(2, 1, Sub(2'000'000));
  EXPECT_EQ(h.fwd.VideoSubscriptionCount(2), 1u);

  // Delta frames cannot start a decoder.
  EXPECT_EQ(h.Send(Video(1, 100, 9000, Vp8Delta()), Addr(1)), DropReason::kNone);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kWaitingForKeyframe), 1u);

  // The leg waits, so Poll asks the publisher for a keyframe.
  h.Poll();
  const auto plis = h.RtcpTo(Addr(1), rtcp::kPayloadFeedback, rtcp::kFmtPli);
  ASSERT_EQ(plis.size(), 1u);
  const auto pli = RtcpCompound::Parse(plis[0]);
  ASSERT_TRUE(pli.ok());
  const FeedbackView fb(*pli->begin());
  EXPECT_EQ(fb.media_ssrc(), VideoSsrc(1));
  EXPECT_EQ(fb.sender_ssrc(), TestConfig().local_ssrc);
  EXPECT_EQ(h.fwd.counters().keyframe_requests_sent, 1u);

  h.now_us += 40'000;
  ASSERT_EQ(h.Send(Video(1, 101, 12600, Vp8Keyframe()), Addr(1)), DropReason::kNone);
  const auto out = h.SentTo(Addr(2));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].zero_copy);
  const auto rtp = ReadRtp(out[0].wire);
  EXPECT_EQ(rtp->ssrc, VideoSsrc(1));  // default output SSRC: the publisher's first encoding
  EXPECT_EQ(rtp->seq, 101);
  EXPECT_EQ(rtp->payload, Vp8Keyframe());
  EXPECT_EQ(h.Send(Video(1, 102, 15600, Vp8Delta()), Addr(1)), DropReason::kNone);
  EXPECT_EQ(h.SentTo(Addr(2)).size(), 1u);

  // No more keyframe requests once the leg runs.
  h.now_us += 1'000'000;
  h.Poll();
  EXPECT_TRUE(h.RtcpTo(Addr(1), rtcp::kPayloadFeedback).empty());
}

TEST(ForwarderSubscriptionTest, OutputSsrcAndPayloadTypeMapping) {
  Harness h;
  h.fwd.AddParticipant(WithVideo(1));
  h.fwd.AddParticipant(ReceiveOnly(2));
  h.fwd.SetAddress(2, Addr(2));
  VideoSubscription s = Sub(2'000'000, 0x5000);
  s.payload_type = 120;
  h.fwd.Subscribe(2, 1, s);
  h.Send(Video(1, 7, 1, Vp8Keyframe()), Addr(1));
  const auto out = h.SentTo(Addr(2));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(ReadRtp(out[0].wire)->ssrc, 0x5000u);
  EXPECT_EQ(ReadRtp(out[0].wire)->pt, 120);
  EXPECT_EQ(h.fwd.Subscription(2, 1, MediaKind::kVideo)->output_ssrc, 0x5000u);
}

TEST(ForwarderSubscriptionTest, PausedFeedForwardsNothing) {
  Harness h;
  h.fwd.AddParticipant(WithVideo(1));
  h.fwd.AddParticipant(ReceiveOnly(2));
  h.fwd.SetAddress(2, Addr(2));
  h.fwd.Subscribe(2, 1, Sub(0));
  h.Send(Video(1, 7, 1, Vp8Keyframe()), Addr(1));
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kLayerNotSelected), 1u);
  h.fwd.SetRequestedBitrate(2, 1, 300'000);
  h.Send(Video(1, 8, 2, Vp8Keyframe()), Addr(1));
  EXPECT_EQ(h.SentTo(Addr(2)).size(), 1u);
}

class SubscriptionLimitTest : public testing::Test {
 protected:
  void SetUp() override {
    for (ParticipantId id = 1; id <= 52; ++id) {
      ParticipantConfig c = WithVideo(id);
      c.audio.encoding_count = 0;  // video only keeps the leg count small
      h.fwd.AddParticipant(c);
    }
  }
  Harness h;
};

TEST_F(SubscriptionLimitTest, RegularParticipantGets49VideoFeeds) {
  h.fwd.AddParticipant(ReceiveOnly(100));
  for (ParticipantId id = 1; id <= 49; ++id) h.fwd.Subscribe(100, id, Sub(1'000'000));
  EXPECT_EQ(h.fwd.VideoSubscriptionCount(100), 49u);
  EXPECT_THROW(h.fwd.Subscribe(100, 50, Sub(1'000'000)), ConfigError);
  EXPECT_EQ(h.fwd.VideoSubscriptionCount(100), 49u);
  EXPECT_FALSE(h.fwd.Subscription(100, 50, MediaKind::kVideo).has_value());
  // A swap at the limit is fine: it replaces a feed.
  h.fwd.Swap(100, 49, 50, 1'000'000);
  EXPECT_EQ(h.fwd.VideoSubscriptionCount(100), 49u);
  // Unsubscribing frees a slot.
  h.fwd.Unsubscribe(100, 1);
  h.fwd.Subscribe(100, 51, Sub(1'000'000));
  EXPECT_EQ(h.fwd.VideoSubscriptionCount(100), 49u);
}

TEST_F(SubscriptionLimitTest, RecorderGets50VideoFeeds) {
  ParticipantConfig recorder = ReceiveOnly(100);
  recorder.role = ParticipantRole::kRecorder;
  h.fwd.AddParticipant(recorder);
  for (ParticipantId id = 1; id <= 50; ++id) h.fwd.Subscribe(100, id, Sub(1'000'000));
  EXPECT_EQ(h.fwd.VideoSubscriptionCount(100), 50u);
  EXPECT_THROW(h.fwd.Subscribe(100, 51, Sub(1'000'000)), ConfigError);
  EXPECT_EQ(h.fwd.VideoSubscriptionCount(100), 50u);
}

TEST_F(SubscriptionLimitTest, InvalidSubscriptionsThrowAndChangeNothing) {
  h.fwd.AddParticipant(ReceiveOnly(100));
  h.fwd.AddParticipant(ReceiveOnly(200, /*meeting=*/2));
  h.fwd.Subscribe(100, 1, Sub(1'000'000));
  const size_t legs = h.fwd.leg_count();
  EXPECT_THROW(h.fwd.Subscribe(100, 1, Sub(1'000'000)), ConfigError);    // already
  EXPECT_THROW(h.fwd.Subscribe(1, 1, Sub(1'000'000)), ConfigError);      // itself
  EXPECT_THROW(h.fwd.Subscribe(100, 999, Sub(1'000'000)), ConfigError);  // unknown
  EXPECT_THROW(h.fwd.Subscribe(200, 1, Sub(1'000'000)), ConfigError);    // other meeting
  EXPECT_THROW(h.fwd.Subscribe(1, 100, Sub(1'000'000)), ConfigError);    // no video
  EXPECT_THROW(h.fwd.Unsubscribe(100, 2), ConfigError);                  // not subscribed
  EXPECT_THROW(h.fwd.Swap(100, 2, 3, 1'000'000), ConfigError);           // not subscribed
  h.fwd.Subscribe(100, 2, Sub(1'000'000));
  EXPECT_THROW(h.fwd.Swap(100, 1, 2, 1'000'000), ConfigError);  // already has 2
  EXPECT_EQ(h.fwd.leg_count(), legs + 1);
  EXPECT_TRUE(h.fwd.Subscription(100, 1, MediaKind::kVideo).has_value());
  // Two feeds may not share an output SSRC for one subscriber.
  EXPECT_THROW(h.fwd.Subscribe(100, 3, Sub(1'000'000, VideoSsrc(1))), ConfigError);
}

TEST(ForwarderSwapTest, SwapIsAtomicAndContinuesTheOutputStream) {
  Harness h;
  h.fwd.AddParticipant(WithVideo(1));
  h.fwd.AddParticipant(WithVideo(2));
  h.fwd.AddParticipant(ReceiveOnly(3));
  h.fwd.SetAddress(3, Addr(3));
  h.fwd.Subscribe(3, 1, Sub(2'000'000, 0x5000));

  // Feed 1 runs: output 1000, 1001 at ts 90000, 93000.
  h.Send(Video(1, 1000, 90000, Vp8Keyframe()), Addr(1));
  h.now_us += 33'000;
  h.Send(Video(1, 1001, 93000, Vp8Delta()), Addr(1));
  ASSERT_EQ(h.SentTo(Addr(3)).size(), 1u);
  // Publisher 2 is live but nobody watches it yet.
  EXPECT_EQ(h.Send(Video(2, 7000, 5000, Vp8Delta()), Addr(2)), DropReason::kNoSubscribers);

  h.fwd.Swap(3, 1, 2, 2'000'000);
  EXPECT_FALSE(h.fwd.Subscription(3, 1, MediaKind::kVideo).has_value());
  const auto leg = h.fwd.Subscription(3, 2, MediaKind::kVideo);
  ASSERT_TRUE(leg.has_value());
  EXPECT_EQ(leg->output_ssrc, 0x5000u);

  // Nothing of the old feed goes out any more, not even its keyframes.
  h.now_us += 10'000;
  EXPECT_EQ(h.Send(Video(1, 1002, 96000, Vp8Keyframe()), Addr(1)), DropReason::kNoSubscribers);
  EXPECT_TRUE(h.sent().empty());
  // The new feed starts on a keyframe only.
  EXPECT_EQ(h.Send(Video(2, 7001, 8000, Vp8Delta()), Addr(2)), DropReason::kNone);
  EXPECT_TRUE(h.sent().empty());
  h.Poll();
  ASSERT_EQ(h.RtcpTo(Addr(2), rtcp::kPayloadFeedback, rtcp::kFmtPli).size(), 1u);
  EXPECT_TRUE(h.RtcpTo(Addr(1), rtcp::kPayloadFeedback).empty());

  h.now_us += 50'000;  // 60 ms after the last packet sent: 5400 ticks
  ASSERT_EQ(h.Send(Video(2, 7002, 11000, Vp8Keyframe()), Addr(2)), DropReason::kNone);
  const auto out = h.SentTo(Addr(3));
  ASSERT_EQ(out.size(), 1u);
  const auto rtp = ReadRtp(out[0].wire);
  EXPECT_EQ(rtp->ssrc, 0x5000u);
  EXPECT_EQ(rtp->seq, 1002);
  EXPECT_EQ(rtp->ts, 93000u + 5400);
  EXPECT_EQ(rtp->payload, Vp8Keyframe());
  h.now_us += 33'000;
  h.Send(Video(2, 7003, 14000, Vp8Delta()), Addr(2));
  EXPECT_EQ(ReadRtp(h.SentTo(Addr(3))[0].wire)->seq, 1003);
  EXPECT_EQ(ReadRtp(h.SentTo(Addr(3))[0].wire)->ts, 93000u + 5400 + 3000);
  EXPECT_EQ(h.fwd.counters().encoding_switches, 1u);

  // A NACK for what feed 1 sent cannot be answered with feed 2's packets, or feed 1's.
  std::array<uint8_t, 64> buf{};
  const std::vector<uint16_t> lost = {1001};
  const size_t n = BuildNack(buf, 0xDEAD, 0x5000, lost);
  EXPECT_EQ(h.Send(Bytes(buf.begin(), buf.begin() + n), Addr(3)), DropReason::kNone);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kCacheMiss), 1u);
}

TEST(ForwarderSwapTest, SwapBeforeTheNewFeedIsActivePausesUntilItIs) {
  Harness h;
  h.fwd.AddParticipant(WithVideo(1));
  h.fwd.AddParticipant(WithVideo(2));
  h.fwd.AddParticipant(ReceiveOnly(3));
  h.fwd.SetAddress(3, Addr(3));
  h.fwd.Subscribe(3, 1, Sub(2'000'000));
  h.Send(Video(1, 10, 0, Vp8Keyframe()), Addr(1));
  h.fwd.Swap(3, 1, 2, 2'000'000);
  EXPECT_EQ(h.fwd.Subscription(3, 2, MediaKind::kVideo)->target_encoding, kNoEncoding);
  // First packet of feed 2 activates its encoding; a keyframe starts the leg at once.
  h.Send(Video(2, 500, 0, Vp8Keyframe()), Addr(2));
  ASSERT_EQ(h.SentTo(Addr(3)).size(), 1u);
  EXPECT_EQ(ReadRtp(h.SentTo(Addr(3))[0].wire)->seq, 11);
}

TEST(ForwarderSubscriptionTest, RemovingPublisherRemovesSubscriptions) {
  Harness h;
  h.fwd.AddParticipant(WithVideo(1));
  h.fwd.AddParticipant(ReceiveOnly(2));
  h.fwd.Subscribe(2, 1, Sub(1'000'000));
  EXPECT_EQ(h.fwd.VideoSubscriptionCount(2), 1u);
  h.fwd.RemoveParticipant(1);
  EXPECT_EQ(h.fwd.VideoSubscriptionCount(2), 0u);
  EXPECT_EQ(h.fwd.leg_count(), 0u);
}

}  // namespace
}  // namespace mgw::dp::test
