#include "mgw/dp/rtcp_builder.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "mgw/dp/rtcp_feedback.h"
#include "rtcp_fixtures.h"

namespace mgw::dp {
namespace {

using fixtures::Bytes;

Bytes Built(size_t n, const std::array<uint8_t, 256>& buf) {
  return Bytes(buf.begin(), buf.begin() + n);
}

TEST(RtcpBuilderTest, ReceiverReportMatchesFixture) {
  const ReportBlock block{0x11223344, 0x40, 5, 0x00010010, 32, 0x12345678, 65536};
  std::array<uint8_t, 256> buf{};
  const size_t n = BuildReceiverReport(buf, 0x55667788, std::span(&block, 1));
  EXPECT_EQ(Built(n, buf), fixtures::ReceiverReport());
}

TEST(RtcpBuilderTest, SenderReportMatchesFixture) {
  const SenderInfo info{0x83AA7E80, 0x12345678, 0x1000, 10, 1000};
  std::array<uint8_t, 256> buf{};
  const size_t n = BuildSenderReport(buf, 0x11223344, info, {});
  EXPECT_EQ(Built(n, buf), fixtures::SenderReport());
}

TEST(RtcpBuilderTest, PliAndFirMatchFixtures) {
  std::array<uint8_t, 256> buf{};
  size_t n = BuildPli(buf, 0x55667788, 0x11223344);
  EXPECT_EQ(Built(n, buf), fixtures::Pli());
  n = BuildFir(buf, 0x55667788, 0x11223344, 7);
  EXPECT_EQ(Built(n, buf), fixtures::Fir());
}

TEST(RtcpBuilderTest, NackMatchesFixture) {
  const std::vector<uint16_t> lost = {100, 101, 103};
  std::array<uint8_t, 256> buf{};
  const size_t n = BuildNack(buf, 0x55667788, 0x11223344, lost);
  EXPECT_EQ(Built(n, buf), fixtures::Nack());
}

std::vector<uint16_t> RoundTripNack(const std::vector<uint16_t>& lost, size_t* items) {
  std::array<uint8_t, 256> buf{};
  const size_t n = BuildNack(buf, 1, 2, lost);
  auto c = RtcpCompound::Parse(std::span<const uint8_t>(buf.data(), n));
  EXPECT_TRUE(c.ok());
  std::vector<uint16_t> out;
  if (!c.ok()) return out;
  const NackView nack(*c->begin());
  *items = nack.item_count();
  nack.ForEachLost([&](uint16_t s) { out.push_back(s); });
  return out;
}

TEST(RtcpBuilderTest, NackPacksAcrossWrapAndSplitsFarGaps) {
  size_t items = 0;
  const std::vector<uint16_t> wrap = {65534, 65535, 0, 1};
  EXPECT_EQ(RoundTripNack(wrap, &items), wrap);
  EXPECT_EQ(items, 1u);
  const std::vector<uint16_t> far = {10, 26, 27, 100};  // 26 = 10 + 16 still fits one item
  EXPECT_EQ(RoundTripNack(far, &items), far);
  EXPECT_EQ(items, 3u);
}

TEST(RtcpBuilderTest, ReportBlockClampsCumulativeLost) {
  ReportBlock block{};
  block.cumulative_lost = -9'000'000;
  std::array<uint8_t, kReportBlockSize> buf{};
  block.Write(buf.data());
  EXPECT_EQ(ReportBlock::Read(buf.data()).cumulative_lost, -0x800000);
  block.cumulative_lost = 9'000'000;
  block.Write(buf.data());
  EXPECT_EQ(ReportBlock::Read(buf.data()).cumulative_lost, 0x7FFFFF);
}

TEST(RtcpBuilderTest, TooSmallBufferWritesNothing) {
  std::array<uint8_t, 11> small{};
  EXPECT_EQ(BuildPli(small, 1, 2), 0u);
  EXPECT_EQ(BuildFir(small, 1, 2, 0), 0u);
  EXPECT_EQ(BuildReceiverReport(std::span(small).first(7), 1, {}), 0u);
  EXPECT_EQ(BuildSenderReport(small, 1, SenderInfo{}, {}), 0u);
  const std::vector<uint16_t> lost = {1};
  EXPECT_EQ(BuildNack(small, 1, 2, lost), 0u);
  EXPECT_EQ(BuildNack(small, 1, 2, {}), 0u);
}

}  // namespace
}  // namespace mgw::dp
