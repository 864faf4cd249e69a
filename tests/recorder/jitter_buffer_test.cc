#include "mgw/rec/jitter_buffer.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "rtp_fixture.h"

namespace mgw::rec {
namespace {

using std::chrono::milliseconds;
using testing::Rtp;

struct Recorder : JitterBuffer::Listener {
  struct Out {
    uint32_t ssrc;
    uint64_t seq;
    uint64_t ts;
    uint8_t first_byte;
  };
  std::vector<Out> packets;
  std::vector<std::pair<uint64_t, uint64_t>> gaps;
  std::vector<std::pair<uint32_t, uint32_t>> changes;
  int resyncs = 0;
  void OnPacket(const OrderedPacket& p) override {
    packets.push_back({p.ssrc, p.extended_seq, p.extended_timestamp,
                       p.payload.empty() ? uint8_t{0} : p.payload[0]});
  }
  void OnGap(uint32_t, uint64_t first, uint64_t count) override { gaps.emplace_back(first, count); }
  void OnResync(uint32_t) override { ++resyncs; }
  void OnSsrcChange(uint32_t a, uint32_t b) override { changes.emplace_back(a, b); }
  std::vector<uint8_t> Bytes() const {
    std::vector<uint8_t> out;
    for (const auto& p : packets) out.push_back(p.first_byte);
    return out;
  }
};

class JitterBufferTest : public ::testing::Test {
 protected:
  JitterBufferTest() : buffer_(Options(), out_) {}
  static JitterBuffer::Options Options() {
    JitterBuffer::Options o;
    o.max_packets = 16;
    o.max_delay = milliseconds(100);
    return o;
  }
  // Payload's first byte = low byte of seq, so order is visible.
  void Push(uint16_t seq, TimePoint at, uint32_t ssrc = 1, std::optional<uint32_t> ts = {}) {
    buffer_.Push(Rtp({.ssrc = ssrc, .seq = seq, .timestamp = ts.value_or(seq * 960u)},
                     {static_cast<uint8_t>(seq)}),
                 at);
  }
  TimePoint t0_{};
  Recorder out_;
  JitterBuffer buffer_;
};

TEST_F(JitterBufferTest, InOrderPacketsPassAfterProbation) {
  for (uint16_t s = 10; s < 15; ++s) Push(s, t0_);
  EXPECT_EQ(out_.Bytes(), (std::vector<uint8_t>{10, 11, 12, 13, 14}));
  EXPECT_TRUE(out_.gaps.empty());
  EXPECT_EQ(buffer_.ssrc(), 1u);
}

TEST_F(JitterBufferTest, ReorderedPacketsAreSorted) {
  Push(10, t0_);
  Push(11, t0_);
  Push(13, t0_);
  Push(12, t0_);
  Push(15, t0_);
  Push(14, t0_);
  EXPECT_EQ(out_.Bytes(), (std::vector<uint8_t>{10, 11, 12, 13, 14, 15}));
  EXPECT_TRUE(out_.gaps.empty());
}

TEST_F(JitterBufferTest, ReorderDuringProbationLosesNothing) {
  Push(11, t0_);
  Push(10, t0_);
  Push(12, t0_);
  Push(13, t0_);
  EXPECT_EQ(out_.Bytes(), (std::vector<uint8_t>{10, 11, 12, 13}));
}

TEST_F(JitterBufferTest, DuplicatesAreDropped) {
  Push(10, t0_);
  Push(11, t0_);
  Push(11, t0_);  // already released
  Push(13, t0_);
  Push(13, t0_);  // held
  Push(12, t0_);
  EXPECT_EQ(out_.Bytes(), (std::vector<uint8_t>{10, 11, 12, 13}));
  EXPECT_EQ(buffer_.stats().drop(JitterDrop::kDuplicate), 2u);
}

TEST_F(JitterBufferTest, HoleIsWaitedForThenReportedAsGap) {
  Push(10, t0_);
  Push(11, t0_);
  Push(13, t0_ + milliseconds(20));
  buffer_.Advance(t0_ + milliseconds(119));
  EXPECT_EQ(out_.packets.size(), 2u);
  buffer_.Advance(t0_ + milliseconds(120));
  EXPECT_EQ(out_.Bytes(), (std::vector<uint8_t>{10, 11, 13}));
  ASSERT_EQ(out_.gaps.size(), 1u);
  EXPECT_EQ(out_.gaps[0].second, 1u);
  EXPECT_EQ(buffer_.stats().lost, 1u);
  // The missing packet arriving now is late, not released out of order.
  Push(12, t0_ + milliseconds(130));
  EXPECT_EQ(out_.packets.size(), 3u);
  EXPECT_EQ(buffer_.stats().drop(JitterDrop::kLate), 1u);
}

TEST_F(JitterBufferTest, FullWindowForcesTheHoleOut) {
  Push(10, t0_);
  Push(11, t0_);
  // 12 is lost; 13..28 fill the 16-slot ring without any time passing.
  for (uint16_t s = 13; s <= 28; ++s) Push(s, t0_);
  ASSERT_EQ(out_.gaps.size(), 1u);
  EXPECT_EQ(out_.gaps[0].second, 1u);
  EXPECT_EQ(out_.packets.back().first_byte, 28);
}

TEST_F(JitterBufferTest, FlushReleasesEverythingWithGaps) {
  Push(10, t0_);
  Push(11, t0_);
  Push(14, t0_);
  buffer_.Flush();
  EXPECT_EQ(out_.Bytes(), (std::vector<uint8_t>{10, 11, 14}));
  ASSERT_EQ(out_.gaps.size(), 1u);
  EXPECT_EQ(out_.gaps[0].second, 2u);
}

TEST_F(JitterBufferTest, SequenceWrapIsSeamless) {
  for (uint16_t s : {65533, 65534, 65535, 0, 1, 2}) Push(s, t0_);
  ASSERT_EQ(out_.packets.size(), 6u);
  for (size_t i = 1; i < out_.packets.size(); ++i) {
    EXPECT_EQ(out_.packets[i].seq, out_.packets[i - 1].seq + 1);
  }
  EXPECT_TRUE(out_.gaps.empty());
}

TEST_F(JitterBufferTest, TimestampWrapIsUnwrapped) {
  Push(1, t0_, 1, 0xFFFFF000u);
  Push(2, t0_, 1, 0xFFFFF800u);
  Push(3, t0_, 1, 0x00000000u);
  Push(4, t0_, 1, 0x00000800u);
  ASSERT_EQ(out_.packets.size(), 4u);
  EXPECT_EQ(out_.packets[2].ts - out_.packets[1].ts, 0x800u);
  EXPECT_EQ(out_.packets[3].ts - out_.packets[0].ts, 0x1800u);
}

TEST_F(JitterBufferTest, SsrcChangeFlushesOldAndReports) {
  Push(10, t0_, 1);
  Push(11, t0_, 1);
  Push(13, t0_, 1);  // 12 never comes
  Push(500, t0_, 2);
  EXPECT_TRUE(out_.changes.empty());  // one packet is not a source yet
  Push(501, t0_, 2);
  ASSERT_EQ(out_.changes.size(), 1u);
  EXPECT_EQ(out_.changes[0], std::make_pair(1u, 2u));
  EXPECT_EQ(out_.Bytes(), (std::vector<uint8_t>{10, 11, 13, 500 & 0xFF, 501 & 0xFF}));
  EXPECT_EQ(buffer_.ssrc(), 2u);
  // A straggler from the old SSRC is ignored.
  Push(14, t0_, 1);
  EXPECT_EQ(buffer_.stats().drop(JitterDrop::kRetiredSsrc), 1u);
  EXPECT_EQ(buffer_.stats().ssrc_changes, 1u);
}

TEST_F(JitterBufferTest, SenderRestartResyncs) {
  Push(10, t0_);
  Push(11, t0_);
  Push(30000, t0_);
  EXPECT_EQ(out_.packets.size(), 2u);
  Push(30001, t0_);
  EXPECT_EQ(out_.resyncs, 1);
  EXPECT_EQ(out_.packets.size(), 3u);
  Push(30002, t0_);
  EXPECT_EQ(out_.packets.size(), 4u);
}

TEST_F(JitterBufferTest, MalformedIsCounted) {
  const std::vector<uint8_t> junk = {0x00, 0x01};
  buffer_.Push(junk, t0_);
  EXPECT_EQ(buffer_.stats().drop(JitterDrop::kMalformed), 1u);
}

TEST_F(JitterBufferTest, ProbationNeverReleasesAlone) {
  Push(10, t0_);
  buffer_.Advance(t0_ + milliseconds(1000));
  EXPECT_TRUE(out_.packets.empty());
}

}  // namespace
}  // namespace mgw::rec
