#include "mgw/dp/receive_stats.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "mgw/dp/seq_num.h"

namespace mgw::dp {
namespace {

TEST(SeqNumTest, NewerAcrossWrap) {
  EXPECT_TRUE(SeqIsNewer(1, 0));
  EXPECT_TRUE(SeqIsNewer(0, 65535));
  EXPECT_FALSE(SeqIsNewer(65535, 0));
  EXPECT_FALSE(SeqIsNewer(5, 5));
  EXPECT_EQ(SeqDelta(2, 65534), 4);
  EXPECT_EQ(SeqDelta(65534, 2), -4);
  EXPECT_TRUE(TimestampIsNewer(5, 0xFFFFFFF0u));
}

TEST(ReceiveStatsTest, CountsInOrderPackets) {
  ReceiveStats s(90000);
  for (uint16_t i = 0; i < 10; ++i) EXPECT_TRUE(s.OnPacket(1000 + i, i * 3000, 100, i * 33'333));
  EXPECT_EQ(s.packets(), 10u);
  EXPECT_EQ(s.bytes(), 1000u);
  EXPECT_EQ(s.extended_highest_seq(), 1009u);
  EXPECT_EQ(s.cumulative_lost(), 0);
  EXPECT_EQ(s.last_packet_us(), 9u * 33'333);
}

TEST(ReceiveStatsTest, ExtendedSequenceAcrossWrap) {
  ReceiveStats s;
  for (uint32_t i = 0; i < 6; ++i) s.OnPacket(static_cast<uint16_t>(65533 + i), 0, 10, 0);
  // 65533, 65534, 65535, 0, 1, 2: one cycle.
  EXPECT_EQ(s.extended_highest_seq(), 65536u + 2);
  EXPECT_EQ(s.cumulative_lost(), 0);
  // Late packet from before the wrap does not move the maximum back.
  s.OnPacket(65535, 0, 10, 0);
  EXPECT_EQ(s.extended_highest_seq(), 65536u + 2);
  EXPECT_EQ(s.cumulative_lost(), -1);  // duplicate counted, as RFC 3550 A.3 does
}

TEST(ReceiveStatsTest, LossAndFractionPerInterval) {
  ReceiveStats s;
  // First interval: 0..9 with 2, 3 missing: expected 10, received 8.
  for (uint16_t seq = 0; seq < 10; ++seq) {
    if (seq != 2 && seq != 3) s.OnPacket(seq, 0, 10, 0);
  }
  ReportBlock b = s.MakeReportBlock(0xABCD, 0);
  EXPECT_EQ(b.ssrc, 0xABCDu);
  EXPECT_EQ(b.cumulative_lost, 2);
  EXPECT_EQ(b.fraction_lost, 2 * 256 / 10);
  EXPECT_EQ(b.extended_highest_seq, 9u);
  // Second interval: 10..19 complete: fraction 0, cumulative stays.
  for (uint16_t seq = 10; seq < 20; ++seq) s.OnPacket(seq, 0, 10, 0);
  b = s.MakeReportBlock(0xABCD, 0);
  EXPECT_EQ(b.fraction_lost, 0);
  EXPECT_EQ(b.cumulative_lost, 2);
  // Third interval: 20 and 29 only: 8 of 10 lost.
  s.OnPacket(20, 0, 10, 0);
  s.OnPacket(29, 0, 10, 0);
  b = s.MakeReportBlock(0xABCD, 0);
  EXPECT_EQ(b.fraction_lost, 8 * 256 / 10);
  EXPECT_EQ(b.cumulative_lost, 10);
  // Nothing new: no division by zero, fraction 0.
  b = s.MakeReportBlock(0xABCD, 0);
  EXPECT_EQ(b.fraction_lost, 0);
}

TEST(ReceiveStatsTest, FractionLostOfMostlyLostInterval) {
  ReceiveStats s;
  s.OnPacket(0, 0, 10, 0);
  s.MakeReportBlock(1, 0);
  s.OnPacket(100, 0, 10, 0);  // 99 lost, 1 received out of 100 expected
  EXPECT_EQ(s.MakeReportBlock(1, 0).fraction_lost, 99 * 256 / 100);
}

TEST(ReceiveStatsTest, LargeJumpRestartsOnlyWhenConfirmed) {
  ReceiveStats s;
  for (uint16_t seq = 100; seq < 105; ++seq) s.OnPacket(seq, 0, 10, 0);
  EXPECT_FALSE(s.OnPacket(30000, 0, 10, 0));  // a lone stray packet
  EXPECT_EQ(s.extended_highest_seq(), 104u);
  EXPECT_TRUE(s.OnPacket(105, 0, 10, 0));
  EXPECT_FALSE(s.OnPacket(40000, 0, 10, 0));
  EXPECT_TRUE(s.OnPacket(40001, 0, 10, 0));  // confirmed: the sender restarted
  EXPECT_EQ(s.extended_highest_seq(), 40001u);
  EXPECT_EQ(s.cumulative_lost(), 0);
  EXPECT_EQ(s.packets(), 9u);  // every packet is counted, stray ones included
}

TEST(ReceiveStatsTest, JitterIsZeroForConstantTransit) {
  ReceiveStats s(90000);
  for (uint32_t i = 0; i < 50; ++i)
    s.OnPacket(static_cast<uint16_t>(i), i * 3000, 10, i * 33'333 + 7);
  EXPECT_LE(s.jitter(), 1u);  // microsecond rounding only
}

TEST(ReceiveStatsTest, JitterFollowsRfc3550A8) {
  ReceiveStats s(8000);  // 8 units per ms
  // Timestamps advance 160 (20 ms); arrivals alternate 20 ms late/early by 5 ms.
  int64_t reference_q4 = 0;
  int64_t prev_transit = 0;
  for (uint32_t i = 0; i < 40; ++i) {
    const uint64_t arrival_us = 1'000'000 + i * 20'000 + (i % 2 ? 5'000 : 0);
    const uint32_t ts = 1000 + i * 160;
    s.OnPacket(static_cast<uint16_t>(i), ts, 10, arrival_us);
    const int64_t transit =
        static_cast<int64_t>(MicrosToRtpUnits(arrival_us, 8000)) - static_cast<int64_t>(ts);
    if (i > 0) {
      const int64_t d = std::llabs(transit - prev_transit);
      reference_q4 += d - ((reference_q4 + 8) >> 4);
    }
    prev_transit = transit;
  }
  EXPECT_EQ(s.jitter(), static_cast<uint32_t>(reference_q4 >> 4));
  EXPECT_GT(s.jitter(), 30u);  // |D| is 40 units every packet; J converges towards 40
}

TEST(ReceiveStatsTest, LastSrAndDelaySinceLastSr) {
  ReceiveStats s;
  s.OnPacket(1, 0, 10, 0);
  EXPECT_EQ(s.MakeReportBlock(1, 0).last_sr, 0u);
  s.OnSenderReport(0x7E801234, 2'000'000);
  const ReportBlock b = s.MakeReportBlock(1, 2'500'000);
  EXPECT_EQ(b.last_sr, 0x7E801234u);
  EXPECT_EQ(b.delay_since_last_sr, 32768u);  // 0.5 s in 1/65536 s
}

TEST(ReceiveStatsTest, MicrosToRtpUnitsDoesNotOverflow) {
  EXPECT_EQ(MicrosToRtpUnits(1'000'000, 90000), 90000u);
  EXPECT_EQ(MicrosToRtpUnits(1'500, 48000), 72u);
  const uint64_t big = 1ull << 60;
  EXPECT_EQ(MicrosToRtpUnits(big, 90000), (big / 1'000'000) * 90000 + (big % 1'000'000) * 9 / 100);
}

}  // namespace
}  // namespace mgw::dp
