// ReadCache and CacheInvalidationBus with a manual clock: max age, capacity (LRU), the
// generation check that keeps a read which raced a write out of the cache, bypass, and how keys
// and NOTIFY payloads reach the caches.
#include "mgw/storage/read_cache.h"

#include <gtest/gtest.h>

#include <charconv>
#include <string>
#include <vector>

#include "mgw/storage/cache_invalidation.h"
#include "mgw/storage/clock.h"

namespace mgw::storage {
namespace {

using namespace std::chrono_literals;

struct Value {
  std::int64_t owner = 0;
  std::string text;
};

std::uint64_t Evicted(const ReadCache<Value>& cache, EvictionCause cause) {
  return cache.stats().evictions[static_cast<int>(cause)].load();
}

class ReadCacheTest : public ::testing::Test {
 protected:
  ReadCache<Value> Make(ReadCacheOptions options, std::size_t shards = 16) {
    return ReadCache<Value>(
        "things", "thing", clock_, options, &bus_,
        {{"owner", [](std::string_view id,
                      const Value& value) { return std::to_string(value.owner) == id; }}},
        shards);
  }

  bool Put(ReadCache<Value>& cache, const std::string& key, Value value) {
    return cache.Insert(key, std::move(value), cache.TicketFor(key));
  }

  ManualClock clock_{FromUnixMillis(1'900'000'000'000)};
  CacheInvalidationBus bus_;
};

TEST_F(ReadCacheTest, ServesWhatWasInsertedUntilMaxAge) {
  auto cache = Make({.entries = 100, .max_age = 2000ms});
  EXPECT_FALSE(cache.Find("a"));
  ASSERT_TRUE(Put(cache, "a", {1, "first"}));
  clock_.Advance(1999ms);
  ASSERT_TRUE(cache.Find("a"));
  EXPECT_EQ(cache.Find("a")->text, "first");
  clock_.Advance(1ms);  // exactly max_age old: not served
  EXPECT_FALSE(cache.Find("a"));
  EXPECT_EQ(Evicted(cache, EvictionCause::kMaxAge), 1u);
  EXPECT_EQ(cache.stats().hits.load(), 2u);
  EXPECT_EQ(cache.stats().misses.load(), 2u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(ReadCacheTest, CapacityDropsTheLeastRecentlyUsed) {
  auto cache = Make({.entries = 3, .max_age = 1h});  // fewer entries than shards: one shard
  ASSERT_TRUE(Put(cache, "a", {1, "a"}));
  ASSERT_TRUE(Put(cache, "b", {1, "b"}));
  ASSERT_TRUE(Put(cache, "c", {1, "c"}));
  ASSERT_TRUE(cache.Find("a"));  // now b is the least recently used
  ASSERT_TRUE(Put(cache, "d", {1, "d"}));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Find("b"));
  EXPECT_TRUE(cache.Find("a"));
  EXPECT_TRUE(cache.Find("c"));
  EXPECT_TRUE(cache.Find("d"));
  EXPECT_EQ(Evicted(cache, EvictionCause::kCapacity), 1u);
}

// Reader: ticket, read the old row. Writer: commit, evict. Reader: insert what it read. The
// insert must be refused, or the old row would be served until max_age.
TEST_F(ReadCacheTest, AReadThatRacedAnEvictionIsNotCached) {
  auto cache = Make({.entries = 100, .max_age = 1h});
  const auto ticket = cache.TicketFor("a");
  const std::string keys[] = {CacheKey("thing", "a")};
  bus_.Publish(keys, EvictionCause::kNotification);
  EXPECT_FALSE(cache.Insert("a", {1, "old"}, ticket));
  EXPECT_FALSE(cache.Find("a"));
  // A ticket taken after the eviction is good.
  EXPECT_TRUE(cache.Insert("a", {1, "new"}, cache.TicketFor("a")));
  EXPECT_EQ(cache.Find("a")->text, "new");
}

TEST_F(ReadCacheTest, FlushAndSecondaryKindsRefuseEarlierTicketsToo) {
  auto cache = Make({.entries = 100, .max_age = 1h});
  auto ticket = cache.TicketFor("a");
  const std::string all[] = {"*"};
  bus_.Publish(all, EvictionCause::kLocalWrite);
  EXPECT_FALSE(cache.Insert("a", {7, "old"}, ticket));
  ticket = cache.TicketFor("a");
  const std::string owner[] = {CacheKey("owner", "9")};
  bus_.Publish(owner, EvictionCause::kLocalWrite);
  EXPECT_FALSE(cache.Insert("a", {7, "old"}, ticket));
}

TEST_F(ReadCacheTest, KeysEvictByIdByOwnerAndAll) {
  auto cache = Make({.entries = 100, .max_age = 1h});
  ASSERT_TRUE(Put(cache, "a", {1, "a"}));
  ASSERT_TRUE(Put(cache, "b", {2, "b"}));
  ASSERT_TRUE(Put(cache, "c", {2, "c"}));
  ASSERT_TRUE(Put(cache, "d", {3, "d"}));

  const std::string by_id[] = {CacheKey("thing", "a"), CacheKey("other", "b")};
  bus_.Publish(by_id, EvictionCause::kLocalWrite);
  EXPECT_FALSE(cache.Find("a"));
  EXPECT_TRUE(cache.Find("b"));  // another kind's id means nothing here

  bus_.PublishPayload("owner:2\nunknown:x", EvictionCause::kNotification);
  EXPECT_FALSE(cache.Find("b"));
  EXPECT_FALSE(cache.Find("c"));
  EXPECT_TRUE(cache.Find("d"));
  EXPECT_EQ(Evicted(cache, EvictionCause::kLocalWrite), 1u);
  EXPECT_EQ(Evicted(cache, EvictionCause::kNotification), 2u);

  bus_.PublishPayload("thing:*", EvictionCause::kNotification);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(ReadCacheTest, BypassServesAndKeepsNothingAndFlushesOnTheWayBack) {
  auto cache = Make({.entries = 100, .max_age = 1h});
  ASSERT_TRUE(Put(cache, "a", {1, "a"}));
  const auto before_loss = cache.TicketFor("b");
  bus_.SetBypass(true);
  EXPECT_TRUE(cache.bypassing());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.Find("a"));
  EXPECT_FALSE(Put(cache, "a", {1, "a"}));
  const auto during_loss = cache.TicketFor("b");
  bus_.SetBypass(false);
  // Reads begun before or during the outage may have missed a notification.
  EXPECT_FALSE(cache.Insert("b", {1, "b"}, before_loss));
  EXPECT_FALSE(cache.Insert("b", {1, "b"}, during_loss));
  EXPECT_TRUE(Put(cache, "b", {1, "b"}));
  EXPECT_EQ(Evicted(cache, EvictionCause::kFlush), 1u);

  // A cache created while the bus bypasses starts bypassing.
  bus_.SetBypass(true);
  auto late = Make({.entries = 100, .max_age = 1h});
  EXPECT_TRUE(late.bypassing());
}

TEST_F(ReadCacheTest, DisabledCachesNothingAndCountsNothing) {
  auto cache = Make({.enabled = false, .entries = 100, .max_age = 1h});
  EXPECT_FALSE(Put(cache, "a", {1, "a"}));
  EXPECT_FALSE(cache.Find("a"));
  EXPECT_EQ(cache.stats().misses.load(), 0u);
}

TEST(CacheNotificationPayloadTest, JoinsKeysOrSaysEverything) {
  const std::vector<std::string> keys = {"meeting:abc", "node:n1"};
  EXPECT_EQ(CacheNotificationPayload(keys), "meeting:abc\nnode:n1");
  const std::vector<std::string> odd = {"node:a\nb"};
  EXPECT_EQ(CacheNotificationPayload(odd), "*");
  const std::vector<std::string> many(200, std::string(64, 'x'));
  EXPECT_EQ(CacheNotificationPayload(many), "*");  // would not fit in one NOTIFY
}

}  // namespace
}  // namespace mgw::storage
