#include "mgw/dp/rtcp_packet.h"

#include <gtest/gtest.h>

#include <vector>

#include "mgw/dp/rtcp_feedback.h"
#include "mgw/dp/rtcp_report.h"
#include "rtcp_fixtures.h"

namespace mgw::dp {
namespace {

using fixtures::Bytes;
using fixtures::Concat;

std::vector<RtcpPacketView> Packets(const RtcpCompound& c) {
  return std::vector<RtcpPacketView>(c.begin(), c.end());
}

TEST(RtcpPacketTest, ParsesSenderReportWithSdes) {
  const Bytes b = Concat({fixtures::SenderReport(), fixtures::Sdes()});
  auto c = RtcpCompound::Parse(b);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->first_sender_ssrc(), 0x11223344u);
  const auto packets = Packets(*c);
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_EQ(packets[0].type(), rtcp::kSenderReport);
  EXPECT_EQ(packets[0].size(), 28u);
  EXPECT_EQ(packets[1].type(), rtcp::kSourceDescription);
  EXPECT_EQ(packets[1].count(), 1);

  const SenderReportView sr(packets[0]);
  EXPECT_EQ(sr.ssrc(), 0x11223344u);
  EXPECT_EQ(sr.block_count(), 0u);
  const SenderInfo info = sr.sender_info();
  EXPECT_EQ(info.ntp_seconds, 0x83AA7E80u);
  EXPECT_EQ(info.ntp_fraction, 0x12345678u);
  EXPECT_EQ(info.rtp_timestamp, 0x1000u);
  EXPECT_EQ(info.packet_count, 10u);
  EXPECT_EQ(info.octet_count, 1000u);
  EXPECT_EQ(info.CompactNtp(), 0x7E801234u);
}

TEST(RtcpPacketTest, ParsesReceiverReportBlock) {
  const Bytes b = fixtures::ReceiverReport();
  auto c = RtcpCompound::Parse(b);
  ASSERT_TRUE(c.ok());
  const auto packets = Packets(*c);
  ASSERT_EQ(packets.size(), 1u);
  const ReceiverReportView rr(packets[0]);
  EXPECT_EQ(rr.ssrc(), 0x55667788u);
  ASSERT_EQ(rr.block_count(), 1u);
  const ReportBlock block = rr.block(0);
  EXPECT_EQ(block.ssrc, 0x11223344u);
  EXPECT_EQ(block.fraction_lost, 0x40);
  EXPECT_EQ(block.cumulative_lost, 5);
  EXPECT_EQ(block.extended_highest_seq, 0x00010010u);
  EXPECT_EQ(block.jitter, 32u);
  EXPECT_EQ(block.last_sr, 0x12345678u);
  EXPECT_EQ(block.delay_since_last_sr, 65536u);
}

TEST(RtcpPacketTest, ReportBlockCumulativeLostIsSigned) {
  Bytes b = fixtures::ReceiverReport();
  b[13] = 0xFF;
  b[14] = 0xFF;
  b[15] = 0xFE;
  auto c = RtcpCompound::Parse(b);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(ReceiverReportView(*c->begin()).block(0).cumulative_lost, -2);
}

TEST(RtcpPacketTest, SenderReportWithBlockParsesBlock) {
  Bytes sr = fixtures::SenderReport();
  sr[0] = 0x81;  // RC=1
  sr[3] = 0x0C;  // length 12
  const Bytes rr = fixtures::ReceiverReport();
  sr.insert(sr.end(), rr.begin() + 8, rr.end());
  auto c = RtcpCompound::Parse(sr);
  ASSERT_TRUE(c.ok());
  const SenderReportView view(*c->begin());
  ASSERT_EQ(view.block_count(), 1u);
  EXPECT_EQ(view.block(0).ssrc, 0x11223344u);
  EXPECT_EQ(view.block(0).cumulative_lost, 5);
}

TEST(RtcpPacketTest, ParsesNack) {
  const Bytes b = fixtures::Nack();
  auto c = RtcpCompound::Parse(b);
  ASSERT_TRUE(c.ok());
  const RtcpPacketView p = *c->begin();
  ASSERT_TRUE(FeedbackView::IsNack(p));
  EXPECT_FALSE(FeedbackView::IsPli(p));
  const NackView nack(p);
  EXPECT_EQ(nack.sender_ssrc(), 0x55667788u);
  EXPECT_EQ(nack.media_ssrc(), 0x11223344u);
  ASSERT_EQ(nack.item_count(), 1u);
  EXPECT_EQ(nack.item(0).packet_id, 100);
  EXPECT_EQ(nack.item(0).lost_bitmask, 5);
  std::vector<uint16_t> lost;
  nack.ForEachLost([&](uint16_t s) { lost.push_back(s); });
  EXPECT_EQ(lost, (std::vector<uint16_t>{100, 101, 103}));
}

TEST(RtcpPacketTest, NackBitmaskWrapsSequenceNumbers) {
  Bytes b = fixtures::Nack();
  b[12] = 0xFF;
  b[13] = 0xFF;  // PID 65535
  b[14] = 0x80;
  b[15] = 0x01;  // bits 0 and 15: 0 and 15
  auto c = RtcpCompound::Parse(b);
  ASSERT_TRUE(c.ok());
  std::vector<uint16_t> lost;
  NackView(*c->begin()).ForEachLost([&](uint16_t s) { lost.push_back(s); });
  EXPECT_EQ(lost, (std::vector<uint16_t>{65535, 0, 15}));
}

TEST(RtcpPacketTest, ParsesPliAndFir) {
  const Bytes b = Concat({fixtures::ReceiverReport(), fixtures::Pli(), fixtures::Fir()});
  auto c = RtcpCompound::Parse(b);
  ASSERT_TRUE(c.ok());
  const auto packets = Packets(*c);
  ASSERT_EQ(packets.size(), 3u);
  ASSERT_TRUE(FeedbackView::IsPli(packets[1]));
  EXPECT_EQ(FeedbackView(packets[1]).media_ssrc(), 0x11223344u);
  EXPECT_TRUE(FeedbackView(packets[1]).fci().empty());
  ASSERT_TRUE(FeedbackView::IsFir(packets[2]));
  const FirView fir(packets[2]);
  EXPECT_EQ(fir.media_ssrc(), 0u);
  ASSERT_EQ(fir.entry_count(), 1u);
  EXPECT_EQ(fir.entry(0).ssrc, 0x11223344u);
  EXPECT_EQ(fir.entry(0).seq_nr, 7);
}

TEST(RtcpPacketTest, RembAndAppAndByePass) {
  const Bytes app = {0x80, 0xCC, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88, 'n', 'a', 'm', 'e'};
  const Bytes bye = {0x81, 0xCB, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88};
  const Bytes b = Concat({fixtures::ReceiverReport(), fixtures::Remb(), app, bye});
  auto c = RtcpCompound::Parse(b);
  ASSERT_TRUE(c.ok());
  const auto packets = Packets(*c);
  ASSERT_EQ(packets.size(), 4u);
  EXPECT_EQ(packets[1].type(), rtcp::kPayloadFeedback);
  EXPECT_EQ(packets[1].count(), rtcp::kFmtAfb);
  EXPECT_EQ(packets[2].type(), rtcp::kApp);
  EXPECT_EQ(packets[3].type(), rtcp::kBye);
}

TEST(RtcpPacketTest, PaddingOnLastPacketIsExcludedFromBody) {
  // NACK with 4 bytes of padding: length 4 words + 1, P bit.
  Bytes b = fixtures::Nack();
  b[0] |= 0x20;
  b[3] = 0x04;
  b.insert(b.end(), {0x00, 0x00, 0x00, 0x04});
  auto c = RtcpCompound::Parse(b);
  ASSERT_TRUE(c.ok()) << Name(c.reason);
  const NackView nack(*c->begin());
  EXPECT_EQ(nack.item_count(), 1u);
}

struct CompoundCase {
  const char* name;
  Bytes bytes;
};

class RtcpCompoundErrorTest : public testing::TestWithParam<CompoundCase> {};

TEST_P(RtcpCompoundErrorTest, RejectsWholeCompound) {
  const auto c = RtcpCompound::Parse(GetParam().bytes);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.reason, DropReason::kRtcpCompoundError);
}

Bytes WithByte(Bytes b, size_t i, uint8_t v) {
  b[i] = v;
  return b;
}

Bytes Truncated(Bytes b, size_t n) {
  b.resize(b.size() - n);
  return b;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, RtcpCompoundErrorTest,
    testing::Values(
        CompoundCase{"Empty", {}}, CompoundCase{"ThreeBytes", {0x80, 0xC9, 0x00}},
        // Length field claims one word more than the buffer holds.
        CompoundCase{"LengthPastEnd", WithByte(fixtures::ReceiverReport(), 3, 0x08)},
        CompoundCase{"SecondPacketLengthPastEnd",
                     Concat({fixtures::SenderReport(), Truncated(fixtures::Sdes(), 4)})},
        CompoundCase{"TrailingBytes", Concat({fixtures::Pli(), {0x81, 0xCE}})},
        CompoundCase{"Version1", WithByte(fixtures::ReceiverReport(), 0, 0x41)},
        CompoundCase{"SecondPacketVersion0",
                     Concat({fixtures::SenderReport(), WithByte(fixtures::Sdes(), 0, 0x01)})},
        // RC=2 but room for one block.
        CompoundCase{"ReportCountPastLength", WithByte(fixtures::ReceiverReport(), 0, 0x82)},
        // SR length 0: too short for sender info.
        CompoundCase{"ShortSenderReport", {0x80, 0xC8, 0x00, 0x00}},
        // NACK with no FCI.
        CompoundCase{"NackWithoutFci",
                     {0x81, 0xCD, 0x00, 0x02, 0x55, 0x66, 0x77, 0x88, 0x11, 0x22, 0x33, 0x44}},
        // FIR with a 4-byte FCI (entries are 8 bytes).
        CompoundCase{"FirShortFci",
                     {0x84, 0xCE, 0x00, 0x03, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00, 0x00, 0x00, 0x11,
                      0x22, 0x33, 0x44}},
        // Feedback shorter than its 12-byte header.
        CompoundCase{"ShortPli", {0x81, 0xCE, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88}},
        // Padding bit on a packet that is not last.
        CompoundCase{"PaddingNotLast",
                     Concat({WithByte(fixtures::Pli(), 0, 0xA1), fixtures::Pli()})},
        CompoundCase{"PaddingCountZero", WithByte(WithByte(fixtures::Pli(), 0, 0xA1), 11, 0x00)},
        CompoundCase{"PaddingPastPacket", WithByte(fixtures::Pli(), 0, 0xA1)},
        // BYE with SC=2 and one SSRC.
        CompoundCase{"ByeCountPastLength", {0x82, 0xCB, 0x00, 0x01, 0x55, 0x66, 0x77, 0x88}}),
    [](const testing::TestParamInfo<CompoundCase>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace mgw::dp
