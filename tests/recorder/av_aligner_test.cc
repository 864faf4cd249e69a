#include "mgw/rec/av_aligner.h"

#include <gtest/gtest.h>

#include "mgw/rec/sender_report_clock.h"
#include "rtp_fixture.h"

namespace mgw::rec {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr int64_t kNtpBaseUs = 3'900'000'000LL * 1'000'000;  // some instant in 2023

TEST(SenderReportClocksTest, NtpConversionRoundTrips) {
  const int64_t us = kNtpBaseUs + 123'456;
  EXPECT_NEAR(static_cast<double>(NtpToMicros(MicrosToNtp(us))), static_cast<double>(us), 1.0);
  EXPECT_EQ(NtpToMicros(uint64_t{5} << 32 | 0x80000000u), 5'500'000);
}

TEST(SenderReportClocksTest, MapsRtpToWallclockFromRtcp) {
  SenderReportClocks clocks;
  clocks.SetClockRate(42, 90000);
  EXPECT_FALSE(clocks.WallclockMicros(42, 0));
  const auto sr = testing::SenderReport(42, MicrosToNtp(kNtpBaseUs), 1'000'000);
  EXPECT_EQ(clocks.OnRtcp(sr), 1u);
  EXPECT_NEAR(static_cast<double>(*clocks.WallclockMicros(42, 1'000'000 + 90000)),
              static_cast<double>(kNtpBaseUs + 1'000'000), 1.0);
  // Before the SR's timestamp, and across the 32-bit wrap.
  clocks.OnSenderReport(43, MicrosToNtp(kNtpBaseUs), 0xFFFFFF00u);
  clocks.SetClockRate(43, 48000);
  // 512 ticks after the SR, truncated to whole microseconds as the mapping does.
  constexpr int64_t kAfterWrapUs = kNtpBaseUs + 512 * 1'000'000LL / 48000;
  EXPECT_EQ(*clocks.WallclockMicros(43, 0x00000100u), kAfterWrapUs);
  EXPECT_NEAR(static_cast<double>(*clocks.WallclockMicros(43, 0xFFFFFF00u - 48000)),
              static_cast<double>(kNtpBaseUs - 1'000'000), 1.0);
}

TEST(SenderReportClocksTest, MalformedRtcpIsIgnored) {
  SenderReportClocks clocks;
  const std::vector<uint8_t> junk = {0x80, 200, 0, 9};
  EXPECT_EQ(clocks.OnRtcp(junk), 0u);
}

TEST(AvAlignerTest, WithoutReportsStreamsStartWhereTheyArrived) {
  SenderReportClocks clocks;
  const TimePoint start{};
  const auto placed = PlaceStreams(
      {{"alice", 1, 0, start + milliseconds(100)}, {"alice", 2, 0, start + milliseconds(180)}},
      start, clocks);
  EXPECT_EQ(placed[0].start, milliseconds(100));
  EXPECT_EQ(placed[1].start, milliseconds(180));
  EXPECT_FALSE(placed[0].from_sender_reports);
  EXPECT_EQ(placed[1].correction, microseconds(0));
}

TEST(AvAlignerTest, SenderReportsAlignAudioAndVideoOfOneSender) {
  // Audio and video captured at the same instant (same NTP), but video arrived 80 ms later
  // (bigger frames, longer jitter buffer): the file must place them together.
  SenderReportClocks clocks;
  clocks.SetClockRate(1, 48000);
  clocks.SetClockRate(2, 90000);
  clocks.OnSenderReport(1, MicrosToNtp(kNtpBaseUs), 48000);
  clocks.OnSenderReport(2, MicrosToNtp(kNtpBaseUs), 90000);
  const TimePoint start{};
  const auto placed = PlaceStreams({{"alice", 1, 48000 + 4800, start + milliseconds(200)},
                                    {"alice", 2, 90000 + 9000, start + milliseconds(280)}},
                                   start, clocks);
  EXPECT_TRUE(placed[0].from_sender_reports);
  EXPECT_EQ(placed[0].start, milliseconds(200));
  EXPECT_EQ(placed[1].start, milliseconds(200));
  EXPECT_EQ(placed[1].correction, milliseconds(-80));
}

TEST(AvAlignerTest, ReportsKeepACaptureOffset) {
  // Video's first frame was captured 40 ms after audio's; arrival says 100 ms.
  SenderReportClocks clocks;
  clocks.SetClockRate(1, 48000);
  clocks.SetClockRate(2, 90000);
  clocks.OnSenderReport(1, MicrosToNtp(kNtpBaseUs), 0);
  clocks.OnSenderReport(2, MicrosToNtp(kNtpBaseUs), 0);
  const TimePoint start{};
  const auto placed =
      PlaceStreams({{"bob", 1, 0, start + milliseconds(50)},
                    {"bob", 2, 3600, start + milliseconds(150)},
                    {"", 3, 0, start + milliseconds(70)}},  // another sender, arrival only
                   start, clocks);
  EXPECT_EQ(placed[0].start, milliseconds(50));
  EXPECT_EQ(placed[1].start, milliseconds(90));
  EXPECT_EQ(placed[2].start, milliseconds(70));
  EXPECT_FALSE(placed[2].from_sender_reports);
}

TEST(AvAlignerTest, NoStartIsNegative) {
  SenderReportClocks clocks;
  clocks.SetClockRate(1, 48000);
  clocks.SetClockRate(2, 48000);
  clocks.OnSenderReport(1, MicrosToNtp(kNtpBaseUs), 0);
  clocks.OnSenderReport(2, MicrosToNtp(kNtpBaseUs), 0);
  const TimePoint start{};
  // Stream 2 claims capture 1 s after stream 1 yet arrived first.
  const auto placed = PlaceStreams(
      {{"c", 1, 0, start + milliseconds(10)}, {"c", 2, 48000, start + milliseconds(5)}}, start,
      clocks);
  EXPECT_GE(placed[0].start.count(), 0);
  EXPECT_EQ(placed[1].start - placed[0].start, milliseconds(1000));
}

}  // namespace
}  // namespace mgw::rec
