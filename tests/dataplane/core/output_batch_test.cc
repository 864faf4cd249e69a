#include "mgw/dp/output_batch.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace mgw::dp {
namespace {

TEST(OutputBatchTest, CommitTakesOnlyWhatWasUsed) {
  std::vector<OutputPacket> slots(4);
  std::vector<uint8_t> arena(100);
  OutputBatch batch(slots, arena);
  const std::array<uint8_t, 3> payload = {7, 8, 9};
  std::span<uint8_t> head = batch.Reserve(60);
  ASSERT_EQ(head.size(), 100u);  // everything left is offered
  head[0] = 0x80;
  batch.Commit(12, Endpoint::FromIpv4(0xC6120001, 1), payload, 3, false);
  EXPECT_EQ(batch.arena_used(), 12u);
  ASSERT_EQ(batch.size(), 1u);
  const OutputPacket& o = batch.packets()[0];
  EXPECT_EQ(o.head.data(), arena.data());
  EXPECT_EQ(o.head.size(), 12u);
  EXPECT_EQ(o.tail.data(), payload.data());
  EXPECT_EQ(o.size(), 15u);
  EXPECT_EQ(o.input, 3u);
  EXPECT_EQ(batch.Reserve(88).size(), 88u);
  EXPECT_TRUE(batch.Reserve(89).empty());  // arena exhausted
}

TEST(OutputBatchTest, SlotsExhaustedAndClear) {
  std::vector<OutputPacket> slots(1);
  std::vector<uint8_t> arena(100);
  OutputBatch batch(slots, arena);
  batch.Reserve(10);
  batch.Commit(10, Endpoint{}, {}, kNoInput, true);
  EXPECT_TRUE(batch.Reserve(1).empty());  // no packet slot left
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.arena_used(), 0u);
  EXPECT_EQ(batch.Reserve(1).size(), 100u);
}

}  // namespace
}  // namespace mgw::dp
