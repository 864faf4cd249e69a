#include "mgw/dp/subscription_table.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "mgw/dp/config_error.h"

namespace mgw::dp {
namespace {

Leg MakeLeg(uint32_t subscriber, StreamId stream, uint32_t output_ssrc) {
  Leg leg;
  leg.subscriber = subscriber;
  leg.stream = stream;
  leg.kind = MediaKind::kVideo;
  leg.rewriter = LegRewriter(output_ssrc);
  return leg;
}

bool Contains(std::span<const LegId> list, LegId id) {
  return std::find(list.begin(), list.end(), id) != list.end();
}

TEST(SubscriptionTableTest, IndexesByStreamSubscriberAndOutputSsrc) {
  SubscriptionTable table(16);
  const LegId a = table.Add(MakeLeg(1, 10, 0xA));
  const LegId b = table.Add(MakeLeg(2, 10, 0xA));  // same SSRC, other subscriber: fine
  const LegId c = table.Add(MakeLeg(1, 11, 0xB));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.LegsOf(10).size(), 2u);
  EXPECT_TRUE(Contains(table.LegsOf(10), a));
  EXPECT_TRUE(Contains(table.LegsOf(10), b));
  EXPECT_EQ(table.LegsFor(1).size(), 2u);
  EXPECT_EQ(table.Find(1, 0xA), a);
  EXPECT_EQ(table.Find(2, 0xA), b);
  EXPECT_EQ(table.Find(1, 0xB), c);
  EXPECT_EQ(table.Find(2, 0xB), kInvalidIndex);
  EXPECT_EQ(table.FindByStream(1, 11), c);
  EXPECT_EQ(table.FindByStream(2, 11), kInvalidIndex);
  EXPECT_TRUE(table.LegsOf(99).empty());
  EXPECT_TRUE(table.LegsFor(99).empty());
}

TEST(SubscriptionTableTest, DuplicateOutputSsrcForSubscriberThrows) {
  SubscriptionTable table(16);
  table.Add(MakeLeg(1, 10, 0xA));
  EXPECT_THROW(table.Add(MakeLeg(1, 11, 0xA)), ConfigError);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.LegsOf(11).empty());
}

TEST(SubscriptionTableTest, RemoveAndMove) {
  SubscriptionTable table(16);
  const LegId a = table.Add(MakeLeg(1, 10, 0xA));
  const LegId b = table.Add(MakeLeg(2, 10, 0xB));
  table.Move(a, 20);
  EXPECT_EQ(table.at(a).stream, 20u);
  EXPECT_FALSE(Contains(table.LegsOf(10), a));
  EXPECT_TRUE(Contains(table.LegsOf(20), a));
  EXPECT_EQ(table.Find(1, 0xA), a);  // output identity survives the move
  table.Remove(b);
  EXPECT_TRUE(table.LegsOf(10).empty());
  EXPECT_EQ(table.Find(2, 0xB), kInvalidIndex);
  EXPECT_TRUE(table.LegsFor(2).empty());
  EXPECT_EQ(table.size(), 1u);
  // The freed slot is reused.
  EXPECT_EQ(table.Add(MakeLeg(3, 10, 0xC)), b);
}

TEST(SubscriptionTableTest, FullTableThrows) {
  SubscriptionTable table(2);
  table.Add(MakeLeg(1, 10, 1));
  table.Add(MakeLeg(1, 10, 2));
  EXPECT_THROW(table.Add(MakeLeg(1, 10, 3)), ConfigError);
}

TEST(SubscriptionTableTest, Holds100000Legs) {
  constexpr uint32_t kLegs = 100'000;
  SubscriptionTable table(kLegs);
  // 2,000 subscribers x 50 feeds, spread over 2,000 publisher streams.
  for (uint32_t i = 0; i < kLegs; ++i) {
    const uint32_t subscriber = i / 50;
    const StreamId stream = (subscriber + 1 + i % 50) % 2000;
    table.Add(MakeLeg(subscriber, stream, 0x20000000u + stream));
  }
  EXPECT_EQ(table.size(), kLegs);
  for (uint32_t i = 0; i < kLegs; i += 97) {
    const uint32_t subscriber = i / 50;
    const StreamId stream = (subscriber + 1 + i % 50) % 2000;
    const LegId id = table.Find(subscriber, 0x20000000u + stream);
    ASSERT_NE(id, kInvalidIndex);
    EXPECT_EQ(table.at(id).stream, stream);
  }
  size_t total = 0;
  for (StreamId s = 0; s < 2000; ++s) total += table.LegsOf(s).size();
  EXPECT_EQ(total, kLegs);
}

}  // namespace
}  // namespace mgw::dp
