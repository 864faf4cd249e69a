// Simulcast: per-leg encoding choice by bitrate, switching only at a keyframe of the target, and
// continuous output numbering across the switch, for VP8 and H.264.

#include <gtest/gtest.h>

#include "forwarder_harness.h"
#include "mgw/dp/rtcp_builder.h"

namespace mgw::dp::test {
namespace {

struct CodecFixtures {
  VideoCodec codec;
  Bytes (*keyframe)();
  Bytes (*delta)();
  const char* name;
};

void PrintTo(const CodecFixtures& c, std::ostream* os) { *os << c.name; }

Bytes Vp8Key() { return Vp8Keyframe(); }
Bytes Vp8Del() { return Vp8Delta(); }

class ForwarderSimulcastTest : public testing::TestWithParam<CodecFixtures> {
 protected:
  void SetUp() override {
    h.fwd.AddParticipant(WithSimulcast(1, GetParam().codec));
    h.fwd.AddParticipant(ReceiveOnly(2));
    h.fwd.SetAddress(2, Addr(2));
    VideoSubscription s;
    s.requested_bitrate_bps = 600'000;  // fits the 500 kbps encoding
    s.output_ssrc = 0x5000;
    h.fwd.Subscribe(2, 1, s);
  }

  // Sends one packet of `encoding`; each encoding has its own numbering and timestamps.
  DropReason Send(int encoding, bool key) {
    State& st = state[encoding];
    const Bytes payload = key ? GetParam().keyframe() : GetParam().delta();
    const Bytes packet =
        MakeRtp(RtpSpec{VideoSsrc(1, encoding), st.seq++, st.ts, kVideoPt, false, payload});
    st.ts += 3000;
    return h.Send(packet, Addr(1));
  }

  std::optional<RtpFields> Received() {
    const auto out = h.SentTo(Addr(2));
    if (out.size() != 1) return std::nullopt;
    return ReadRtp(out[0].wire);
  }

  struct State {
    uint16_t seq;
    uint32_t ts;
  };
  State state[3] = {{100, 10'000}, {20'000, 500'000}, {65'533, 0xFFFFF000u}};
  Harness h;
};

TEST_P(ForwarderSimulcastTest, SwitchesOnlyAtKeyframeWithContinuousOutput) {
  // All three encodings come up; the leg targets encoding 1 (500 kbps <= 600 kbps).
  Send(0, false);
  Send(1, false);
  Send(2, false);
  EXPECT_TRUE(h.sent().empty());
  auto leg = h.fwd.Subscription(2, 1, MediaKind::kVideo);
  EXPECT_EQ(leg->target_encoding, 1);
  EXPECT_EQ(leg->current_encoding, kNoEncoding);

  // Keyframe on encoding 1 starts the leg; the other encodings are not forwarded.
  ASSERT_EQ(Send(1, true), DropReason::kNone);
  auto rtp = Received();
  ASSERT_TRUE(rtp.has_value());
  EXPECT_EQ(rtp->ssrc, 0x5000u);
  EXPECT_EQ(rtp->seq, 20'001);
  EXPECT_EQ(rtp->payload, GetParam().keyframe());
  const uint64_t before = h.fwd.drops().Get(DropReason::kLayerNotSelected);
  Send(0, true);
  Send(2, true);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kLayerNotSelected), before + 2);

  h.now_us += 33'000;
  Send(1, false);
  rtp = Received();
  ASSERT_TRUE(rtp.has_value());
  EXPECT_EQ(rtp->seq, 20'002);
  const uint16_t last_seq = rtp->seq;
  const uint32_t last_ts = rtp->ts;

  // More bandwidth: target encoding 2, but only from its next keyframe.
  h.fwd.SetRequestedBitrate(2, 1, 2'000'000);
  leg = h.fwd.Subscription(2, 1, MediaKind::kVideo);
  EXPECT_EQ(leg->target_encoding, 2);
  EXPECT_EQ(leg->current_encoding, 1);
  h.now_us += 10'000;
  Send(2, false);
  EXPECT_TRUE(h.sent().empty());  // waiting for encoding 2's keyframe
  Send(1, false);                 // encoding 1 keeps flowing meanwhile
  rtp = Received();
  ASSERT_TRUE(rtp.has_value());
  EXPECT_EQ(rtp->seq, last_seq + 1);
  const uint32_t ts_before_switch = rtp->ts;
  EXPECT_EQ(ts_before_switch, last_ts + 3000);

  // The poll asks encoding 2's SSRC for a keyframe.
  h.Poll();
  const auto plis = h.RtcpTo(Addr(1), rtcp::kPayloadFeedback, rtcp::kFmtPli);
  ASSERT_EQ(plis.size(), 1u);
  EXPECT_EQ(LoadBe32(plis[0].data() + 8), VideoSsrc(1, 2));

  h.now_us += 20'000;  // 20 ms after the last packet sent: 1800 ticks at 90 kHz
  ASSERT_EQ(Send(2, true), DropReason::kNone);
  rtp = Received();
  ASSERT_TRUE(rtp.has_value());
  EXPECT_EQ(rtp->ssrc, 0x5000u);
  EXPECT_EQ(rtp->seq, static_cast<uint16_t>(last_seq + 2));
  EXPECT_EQ(rtp->ts, ts_before_switch + 1800);
  EXPECT_EQ(rtp->payload, GetParam().keyframe());
  EXPECT_EQ(h.fwd.counters().encoding_switches, 1u);
  EXPECT_EQ(h.fwd.Subscription(2, 1, MediaKind::kVideo)->current_encoding, 2);

  // Encoding 2 continues (its own numbers wrap through 65535 -> 0 underneath); encoding 1 stops.
  h.now_us += 33'000;
  Send(2, false);
  rtp = Received();
  ASSERT_TRUE(rtp.has_value());
  EXPECT_EQ(rtp->seq, static_cast<uint16_t>(last_seq + 3));
  EXPECT_EQ(rtp->ts, ts_before_switch + 1800 + 3000);
  Send(1, true);
  EXPECT_TRUE(h.sent().empty());
}

TEST_P(ForwarderSimulcastTest, SenderReportFollowsTheLegTimestampSpace) {
  Send(1, false);
  Send(2, false);
  h.fwd.SetRequestedBitrate(2, 1, 2'000'000);
  Send(2, true);  // starts on encoding 2, offsets 0
  h.now_us += 33'000;
  h.fwd.SetRequestedBitrate(2, 1, 600'000);
  Send(1, true);  // switch to encoding 1: offsets now non-zero
  const auto switched = Received();
  ASSERT_TRUE(switched.has_value());
  const uint32_t out_ts = switched->ts;
  const uint32_t in_ts = state[1].ts - 3000;

  // SR of encoding 1 at RTP time in_ts + 900 maps to out_ts + 900.
  std::array<uint8_t, 64> buf{};
  const SenderInfo info{0x83AA7E80, 0x80000000, in_ts + 900, 77, 7777};
  size_t n = BuildSenderReport(buf, VideoSsrc(1, 1), info, {});
  ASSERT_EQ(h.Send(Bytes(buf.begin(), buf.begin() + n), Addr(1)), DropReason::kNone);
  const auto srs = h.RtcpTo(Addr(2), rtcp::kSenderReport);
  ASSERT_EQ(srs.size(), 1u);
  const auto sr = RtcpCompound::Parse(srs[0]);
  const SenderReportView view(*sr->begin());
  EXPECT_EQ(view.ssrc(), 0x5000u);
  EXPECT_EQ(view.sender_info().rtp_timestamp, out_ts + 900);
  EXPECT_EQ(view.sender_info().ntp_seconds, 0x83AA7E80u);
  EXPECT_EQ(view.sender_info().packet_count, 2u);  // what this leg sent, not the publisher
  // An SR of an encoding the leg does not receive is not forwarded.
  n = BuildSenderReport(buf, VideoSsrc(1, 2), info, {});
  h.Send(Bytes(buf.begin(), buf.begin() + n), Addr(1));
  EXPECT_TRUE(h.RtcpTo(Addr(2), rtcp::kSenderReport).empty());
}

TEST_P(ForwarderSimulcastTest, FallsBackWhenTheSelectedEncodingStops) {
  h.fwd.SetRequestedBitrate(2, 1, 2'000'000);
  Send(1, false);
  Send(2, true);
  ASSERT_TRUE(Received().has_value());
  // Encoding 2 stops (publisher's uplink got worse); 0 and 1 keep coming.
  for (int i = 0; i < 5; ++i) {
    h.now_us += 500'000;
    Send(0, false);
    Send(1, false);
    h.Poll();
  }
  const auto leg = h.fwd.Subscription(2, 1, MediaKind::kVideo);
  EXPECT_EQ(leg->target_encoding, 1);
  EXPECT_EQ(leg->current_encoding, 2);
  h.now_us += 10'000;
  ASSERT_EQ(Send(1, true), DropReason::kNone);
  const auto rtp = Received();
  ASSERT_TRUE(rtp.has_value());
  EXPECT_EQ(rtp->payload, GetParam().keyframe());
  EXPECT_EQ(h.fwd.Subscription(2, 1, MediaKind::kVideo)->current_encoding, 1);
}

TEST_P(ForwarderSimulcastTest, EncodingBitrateUpdateReselects) {
  Send(0, false);
  Send(1, false);
  Send(2, false);
  EXPECT_EQ(h.fwd.Subscription(2, 1, MediaKind::kVideo)->target_encoding, 1);
  h.fwd.SetEncodingBitrate(1, 2, 550'000);  // estimate says encoding 2 is cheaper than thought
  EXPECT_EQ(h.fwd.Subscription(2, 1, MediaKind::kVideo)->target_encoding, 2);
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, ForwarderSimulcastTest,
    testing::Values(CodecFixtures{VideoCodec::kVp8, &Vp8Key, &Vp8Del, "Vp8"},
                    CodecFixtures{VideoCodec::kH264, &H264StapASpsPps, &H264NonIdr, "H264StapA"},
                    CodecFixtures{VideoCodec::kH264, &H264FuAIdrStart, &H264FuAIdrMiddle,
                                  "H264FuA"}),
    [](const testing::TestParamInfo<CodecFixtures>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace mgw::dp::test
