#include "mgw/dp/leg_rewriter.h"

#include <gtest/gtest.h>

namespace mgw::dp {
namespace {

RewriteInput Packet(int encoding, uint16_t seq, uint32_t ts, bool key, uint64_t now_us) {
  RewriteInput in;
  in.encoding = encoding;
  in.sequence_number = seq;
  in.timestamp = ts;
  in.keyframe_start = key;
  in.clock_rate = 90000;
  in.now_us = now_us;
  return in;
}

TEST(LegRewriterTest, StartsOnKeyframeOfTargetAndPassesNumbersThrough) {
  LegRewriter r(0x1234);
  EXPECT_EQ(r.output_ssrc(), 0x1234u);
  EXPECT_EQ(r.Rewrite(Packet(0, 10, 1000, true, 0)).reason, DropReason::kLayerNotSelected);
  r.SetTarget(0);
  EXPECT_TRUE(r.waiting_for_keyframe());
  EXPECT_EQ(r.Rewrite(Packet(0, 11, 1000, false, 0)).reason, DropReason::kWaitingForKeyframe);
  const RewriteResult first = r.Rewrite(Packet(0, 12, 4000, true, 0));
  ASSERT_EQ(first.reason, DropReason::kNone);
  EXPECT_TRUE(first.switched);
  EXPECT_EQ(first.sequence_number, 12);
  EXPECT_EQ(first.timestamp, 4000u);
  EXPECT_FALSE(r.waiting_for_keyframe());
  const RewriteResult next = r.Rewrite(Packet(0, 13, 7000, false, 33'000));
  EXPECT_FALSE(next.switched);
  EXPECT_EQ(next.sequence_number, 13);
  EXPECT_EQ(next.timestamp, 7000u);
}

TEST(LegRewriterTest, SwitchKeepsOutputContinuous) {
  LegRewriter r(1);
  r.SetTarget(0);
  for (uint16_t i = 0; i < 5; ++i) {
    ASSERT_EQ(r.Rewrite(Packet(0, 100 + i, 9000 + i * 3000, i == 0, i * 33'000)).reason,
              DropReason::kNone);
  }
  // Output so far: seq 100..104, ts up to 21000 at t=132 ms.
  r.SetTarget(2);
  // Encoding 0 keeps flowing until encoding 2 has a keyframe.
  EXPECT_EQ(r.Rewrite(Packet(2, 60000, 500000, false, 140'000)).reason,
            DropReason::kWaitingForKeyframe);
  const RewriteResult still_old = r.Rewrite(Packet(0, 105, 24000, false, 150'000));
  ASSERT_EQ(still_old.reason, DropReason::kNone);
  EXPECT_EQ(still_old.sequence_number, 105);
  // Keyframe of encoding 2 at t=160 ms: 10 ms after the last send = 900 ticks at 90 kHz.
  const RewriteResult sw = r.Rewrite(Packet(2, 60001, 500000, true, 160'000));
  ASSERT_EQ(sw.reason, DropReason::kNone);
  EXPECT_TRUE(sw.switched);
  EXPECT_EQ(sw.sequence_number, 106);
  EXPECT_EQ(sw.timestamp, 24000u + 900);
  // Old encoding is now dropped, new one continues with the same offsets.
  EXPECT_EQ(r.Rewrite(Packet(0, 106, 27000, false, 170'000)).reason, DropReason::kLayerNotSelected);
  const RewriteResult after = r.Rewrite(Packet(2, 60002, 503000, false, 193'000));
  EXPECT_EQ(after.sequence_number, 107);
  EXPECT_EQ(after.timestamp, 24000u + 900 + 3000);
}

TEST(LegRewriterTest, SwitchAcrossSequenceAndTimestampWrap) {
  LegRewriter r(1);
  r.SetTarget(0);
  r.Rewrite(Packet(0, 65535, 0xFFFFFF00u, true, 0));
  r.SetTarget(1);
  const RewriteResult sw = r.Rewrite(Packet(1, 5, 0x100, true, 1'000));  // 90 ticks later
  EXPECT_EQ(sw.sequence_number, 0);
  EXPECT_EQ(sw.timestamp, 0xFFFFFF00u + 90);
  EXPECT_EQ(r.Rewrite(Packet(1, 6, 0x100 + 3000, false, 2'000)).timestamp, 0xFFFFFF00u + 90 + 3000);
}

TEST(LegRewriterTest, SameBurstSwitchAdvancesTimestampByOneTick) {
  LegRewriter r(1);
  r.SetTarget(0);
  r.Rewrite(Packet(0, 1, 1000, true, 5'000));
  r.SetTarget(1);
  EXPECT_EQ(r.Rewrite(Packet(1, 900, 77, true, 5'000)).timestamp, 1001u);
}

TEST(LegRewriterTest, ReorderedPacketsKeepTheirPlace) {
  LegRewriter r(1);
  r.SetTarget(0);
  r.Rewrite(Packet(0, 10, 0, true, 0));
  r.Rewrite(Packet(0, 12, 0, false, 0));
  const RewriteResult late = r.Rewrite(Packet(0, 11, 0, false, 0));
  ASSERT_EQ(late.reason, DropReason::kNone);
  EXPECT_EQ(late.sequence_number, 11);
  EXPECT_EQ(r.last_sequence_number(), 12);
}

TEST(LegRewriterTest, PacketsFromBeforeTheSwitchAreStale) {
  LegRewriter r(1);
  r.SetTarget(0);
  r.Rewrite(Packet(0, 50, 0, true, 0));
  EXPECT_EQ(r.Rewrite(Packet(0, 49, 0, false, 0)).reason, DropReason::kStalePacket);
}

// A stream that runs for more than half the 16-bit sequence space after its last switch keeps
// flowing: the stale check must not compare against a switch point that far back.
TEST(LegRewriterTest, LongRunningStreamIsNeverStale) {
  LegRewriter r(1);
  r.SetTarget(0);
  uint16_t seq = 100;
  ASSERT_EQ(r.Rewrite(Packet(0, seq, 0, true, 0)).reason, DropReason::kNone);
  for (uint32_t i = 1; i < 3 * 65536; ++i) {
    ++seq;
    RewriteResult out = r.Rewrite(Packet(0, seq, i * 3000, false, i * 33'000ull));
    ASSERT_EQ(out.reason, DropReason::kNone) << "packet " << i;
    ASSERT_EQ(out.sequence_number, seq);
  }
  uint16_t input = 0;
  EXPECT_TRUE(r.MapOutputSequence(static_cast<uint16_t>(seq - 5), &input));
  EXPECT_EQ(input, static_cast<uint16_t>(seq - 5));
}

TEST(LegRewriterTest, PauseStopsAtOnce) {
  LegRewriter r(1);
  r.SetTarget(0);
  r.Rewrite(Packet(0, 1, 0, true, 0));
  r.SetTarget(kNoEncoding);
  EXPECT_FALSE(r.waiting_for_keyframe());
  EXPECT_EQ(r.Rewrite(Packet(0, 2, 0, true, 0)).reason, DropReason::kLayerNotSelected);
}

TEST(LegRewriterTest, ResetSourceWaitsForKeyframeAndContinuesOutput) {
  LegRewriter r(7);
  r.SetTarget(0);
  r.Rewrite(Packet(0, 300, 1000, true, 0));
  r.Rewrite(Packet(0, 301, 4000, false, 33'000));
  r.ResetSource(0);  // a new feed; same encoding index, different stream
  EXPECT_TRUE(r.waiting_for_keyframe());
  EXPECT_EQ(r.Rewrite(Packet(0, 9000, 123456, false, 40'000)).reason,
            DropReason::kWaitingForKeyframe);
  const RewriteResult sw = r.Rewrite(Packet(0, 9001, 123456, true, 66'000));
  EXPECT_TRUE(sw.switched);
  EXPECT_EQ(sw.sequence_number, 302);
  EXPECT_EQ(sw.timestamp, 4000u + 2970);  // 33 ms at 90 kHz
}

TEST(LegRewriterTest, MapOutputSequenceCoversOnlyTheCurrentEncoding) {
  LegRewriter r(1);
  uint16_t in = 0;
  EXPECT_FALSE(r.MapOutputSequence(0, &in));
  r.SetTarget(0);
  for (uint16_t i = 0; i < 3; ++i) r.Rewrite(Packet(0, 10 + i, 0, i == 0, 0));  // out 10..12
  r.SetTarget(1);
  r.Rewrite(Packet(1, 500, 0, true, 0));   // out 13
  r.Rewrite(Packet(1, 501, 0, false, 0));  // out 14
  ASSERT_TRUE(r.MapOutputSequence(14, &in));
  EXPECT_EQ(in, 501);
  ASSERT_TRUE(r.MapOutputSequence(13, &in));
  EXPECT_EQ(in, 500);
  EXPECT_FALSE(r.MapOutputSequence(12, &in));  // went out from encoding 0
  EXPECT_FALSE(r.MapOutputSequence(15, &in));  // not sent yet
}

// RFC 3550 A.1: a sender that restarts with the same SSRC jumps back. The first packet of the
// jump is only a candidate (a very late packet looks the same); the next one, continuing it,
// re-bases the output past a slot for the first, which a NACK then maps back to it.
TEST(LegRewriterTest, SenderRestartIsRebasedOnTheSecondPacket) {
  LegRewriter r(1);
  r.SetTarget(0);
  for (uint16_t i = 0; i < 300; ++i) {
    ASSERT_EQ(r.Rewrite(Packet(0, 20'000 + i, 90'000 + i * 3000u, i == 0, i * 33'000ull)).reason,
              DropReason::kNone);
  }
  ASSERT_EQ(r.last_sequence_number(), 20'299);
  const uint32_t last_ts = r.last_timestamp();
  const uint64_t t = 299 * 33'000ull + 100'000;  // the restart comes 100 ms after the last packet

  const RewriteResult first = r.Rewrite(Packet(0, 7, 555, true, t));
  EXPECT_FALSE(first.rebased);
  EXPECT_EQ(r.last_sequence_number(), 20'299);  // not taken as progress

  const RewriteResult second = r.Rewrite(Packet(0, 8, 555 + 3000, false, t + 30'000));
  ASSERT_EQ(second.reason, DropReason::kNone);
  EXPECT_TRUE(second.rebased);
  EXPECT_EQ(second.sequence_number, 20'301);      // 20'300 stays for seq 7
  EXPECT_EQ(second.timestamp, last_ts + 11'700);  // 130 ms of wall time at 90 kHz
  uint16_t input = 0;
  ASSERT_TRUE(r.MapOutputSequence(20'300, &input));
  EXPECT_EQ(input, 7);
  ASSERT_TRUE(r.MapOutputSequence(20'301, &input));
  EXPECT_EQ(input, 8);
  EXPECT_FALSE(r.MapOutputSequence(20'299, &input));  // the old stream's numbers are gone
  EXPECT_EQ(r.MapTimestamp(555), last_ts + 11'700 - 3000);

  // The restarted stream goes on continuously; stragglers of the old one are stale now.
  const RewriteResult third = r.Rewrite(Packet(0, 9, 555 + 6000, false, t + 60'000));
  EXPECT_FALSE(third.rebased);
  EXPECT_EQ(third.sequence_number, 20'302);
  EXPECT_EQ(r.Rewrite(Packet(0, 6, 0, false, t + 70'000)).reason, DropReason::kStalePacket);
}

// Late packets are not a restart, however far behind: one alone, one followed by the stream going
// on and then its successor, and a run of retransmissions that arrive as RTX all keep the numbers
// their originals went out with, and the output is never moved.
TEST(LegRewriterTest, LatePacketsAndRetransmissionsDoNotRebase) {
  LegRewriter r(1);
  r.SetTarget(0);
  uint64_t now = 0;
  for (uint16_t i = 0; i < 50'000; ++i) r.Rewrite(Packet(0, i, i * 3000u, i == 0, now += 1000));
  auto check = [&](uint16_t seq, bool rtx) {
    RewriteInput in = Packet(0, seq, seq * 3000u, false, now += 1000);
    in.retransmission = rtx;
    const RewriteResult out = r.Rewrite(in);
    ASSERT_EQ(out.reason, DropReason::kNone) << seq;
    EXPECT_FALSE(out.rebased) << seq;
    EXPECT_EQ(out.sequence_number, seq);
  };
  check(40'000, false);  // far behind, alone
  check(50'000, false);  // the stream goes on
  check(40'001, false);  // continues the late one, but not next in arrival
  check(50'001, false);
  for (uint16_t seq = 45'000; seq < 45'010; ++seq) check(seq, true);  // a run of RTX
  check(50'002, false);
  // Within A.1's MAX_MISORDER and up to kRestartDistance: reordering, never a jump.
  check(49'500, false);
  check(49'501, false);
  EXPECT_EQ(r.last_sequence_number(), 50'002);
}

// A restart shortly after a switch (inside the window where older numbers are stale) is re-based
// too; before, every packet behind the switch point was dropped until the window ended.
TEST(LegRewriterTest, RestartRightAfterASwitchIsRebased) {
  LegRewriter r(1);
  r.SetTarget(0);
  for (uint16_t i = 0; i < 10; ++i) {
    r.Rewrite(Packet(0, 10'000 + i, i * 3000u, i == 0, i * 1000ull));
  }
  EXPECT_EQ(r.Rewrite(Packet(0, 500, 0, true, 20'000)).reason, DropReason::kStalePacket);
  const RewriteResult second = r.Rewrite(Packet(0, 501, 3000, false, 21'000));
  ASSERT_EQ(second.reason, DropReason::kNone);
  EXPECT_TRUE(second.rebased);
  EXPECT_EQ(second.sequence_number, 10'011);
  EXPECT_EQ(r.Rewrite(Packet(0, 502, 6000, false, 22'000)).sequence_number, 10'012);
}

TEST(LegRewriterTest, PayloadTypeMapping) {
  LegRewriter r(1);
  EXPECT_EQ(r.MapPayloadType(96), 96);
  r.SetPayloadTypeMapping(96, 100);
  EXPECT_EQ(r.MapPayloadType(96), 100);
  EXPECT_EQ(r.MapPayloadType(97), 97);
}

}  // namespace
}  // namespace mgw::dp
