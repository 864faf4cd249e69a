#include "mgw/dp/packet_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace mgw::dp {
namespace {

std::vector<uint8_t> PacketBytes(uint16_t seq, size_t size = 20) {
  std::vector<uint8_t> b(size, static_cast<uint8_t>(seq));
  return b;
}

TEST(PacketCacheTest, HitReturnsStoredBytes) {
  PacketCache cache(PacketCacheConfig{8, 1'000'000, 100});
  const auto p = PacketBytes(5, 30);
  ASSERT_TRUE(cache.Store(p, 5, 1000));
  const CachedPacket c = cache.Find(5, 2000);
  ASSERT_EQ(c.reason, DropReason::kNone);
  EXPECT_EQ(std::vector<uint8_t>(c.bytes.begin(), c.bytes.end()), p);
}

TEST(PacketCacheTest, MissForUnknownOrOverwrittenSequence) {
  PacketCache cache(PacketCacheConfig{8, 1'000'000, 100});
  EXPECT_EQ(cache.Find(3, 0).reason, DropReason::kCacheMiss);
  for (uint16_t seq = 0; seq < 9; ++seq) cache.Store(PacketBytes(seq), seq, 0);
  // Seq 8 took seq 0's slot.
  EXPECT_EQ(cache.Find(0, 0).reason, DropReason::kCacheMiss);
  EXPECT_EQ(cache.Find(8, 0).reason, DropReason::kNone);
  EXPECT_EQ(cache.Find(1, 0).reason, DropReason::kNone);
}

TEST(PacketCacheTest, ExpiresByAge) {
  PacketCache cache(PacketCacheConfig{8, 1'000'000, 100});
  cache.Store(PacketBytes(1), 1, 10'000);
  EXPECT_EQ(cache.Find(1, 1'010'000).reason, DropReason::kNone);  // exactly max age
  EXPECT_EQ(cache.Find(1, 1'010'001).reason, DropReason::kCacheExpired);
}

// The slots' bytes come with the first packet: 10,000 publishers on one worker, or streams that
// other workers receive, must not cost capacity x slot_size each before they send.
TEST(PacketCacheTest, BytesAreAllocatedByTheFirstStore) {
  PacketCache cache(PacketCacheConfig{512, 1'000'000, 1500});
  EXPECT_FALSE(cache.allocated());
  EXPECT_EQ(cache.Find(7, 0).reason, DropReason::kCacheMiss);
  EXPECT_FALSE(cache.allocated());
  EXPECT_FALSE(cache.Store(PacketBytes(7, 1501), 7, 0));  // too large: still nothing to hold
  EXPECT_FALSE(cache.allocated());
  ASSERT_TRUE(cache.Store(PacketBytes(7, 1500), 7, 0));
  EXPECT_TRUE(cache.allocated());
  EXPECT_EQ(cache.Find(7, 0).bytes.size(), 1500u);
}

TEST(PacketCacheTest, CapacityRoundsUpToPowerOfTwo) {
  PacketCache cache(PacketCacheConfig{5, 1'000'000, 100});
  EXPECT_EQ(cache.capacity(), 8u);
}

TEST(PacketCacheTest, WrapsWithSequenceNumbers) {
  PacketCache cache(PacketCacheConfig{8, 1'000'000, 100});
  for (uint32_t i = 65532; i < 65536 + 3; ++i) {
    cache.Store(PacketBytes(static_cast<uint16_t>(i)), static_cast<uint16_t>(i), 0);
  }
  EXPECT_EQ(cache.Find(65535, 0).reason, DropReason::kNone);
  EXPECT_EQ(cache.Find(0, 0).reason, DropReason::kNone);
  EXPECT_EQ(cache.Find(2, 0).reason, DropReason::kNone);
  EXPECT_EQ(cache.Find(65532, 0).reason, DropReason::kNone);
}

TEST(PacketCacheTest, LateOldPacketDoesNotEvictNewerOne) {
  PacketCache cache(PacketCacheConfig{8, 1'000'000, 100});
  cache.Store(PacketBytes(9), 9, 0);
  EXPECT_FALSE(cache.Store(PacketBytes(1), 1, 0));  // same slot, older
  EXPECT_EQ(cache.Find(9, 0).reason, DropReason::kNone);
  // Once the newer one has expired the slot is fair game.
  EXPECT_TRUE(cache.Store(PacketBytes(1), 1, 2'000'000));
  EXPECT_EQ(cache.Find(1, 2'000'000).reason, DropReason::kNone);
}

TEST(PacketCacheTest, OversizedPacketIsNotCached) {
  PacketCache cache(PacketCacheConfig{8, 1'000'000, 100});
  EXPECT_FALSE(cache.Store(PacketBytes(1, 101), 1, 0));
  EXPECT_EQ(cache.Find(1, 0).reason, DropReason::kCacheMiss);
  cache.Store(PacketBytes(2), 2, 0);
  cache.Clear();
  EXPECT_EQ(cache.Find(2, 0).reason, DropReason::kCacheMiss);
}

}  // namespace
}  // namespace mgw::dp
