#include "mgw/dp/flat_hash_map.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

#include "mgw/dp/endpoint.h"

namespace mgw::dp {
namespace {

TEST(FlatHashMapTest, InsertFindErase) {
  FlatHashMap<uint32_t, int> map(16);
  EXPECT_EQ(map.Find(1), nullptr);
  EXPECT_TRUE(map.Insert(1, 10));
  EXPECT_TRUE(map.Insert(2, 20));
  EXPECT_FALSE(map.Insert(1, 11));  // duplicate
  ASSERT_NE(map.Find(1), nullptr);
  EXPECT_EQ(*map.Find(1), 10);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_TRUE(map.InsertOrAssign(1, 12));
  EXPECT_EQ(*map.Find(1), 12);
  EXPECT_TRUE(map.Erase(1));
  EXPECT_FALSE(map.Erase(1));
  EXPECT_EQ(map.Find(1), nullptr);
  EXPECT_EQ(*map.Find(2), 20);
  map.Clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.Find(2), nullptr);
}

TEST(FlatHashMapTest, RefusesBeyondStatedCapacity) {
  FlatHashMap<uint32_t, int> map(3);
  EXPECT_TRUE(map.Insert(1, 1));
  EXPECT_TRUE(map.Insert(2, 2));
  EXPECT_TRUE(map.Insert(3, 3));
  EXPECT_TRUE(map.full());
  EXPECT_FALSE(map.Insert(4, 4));
  EXPECT_FALSE(map.InsertOrAssign(4, 4));
  EXPECT_TRUE(map.InsertOrAssign(3, 30));  // existing key still assignable
  EXPECT_TRUE(map.Erase(2));
  EXPECT_TRUE(map.Insert(4, 4));
}

TEST(FlatHashMapTest, Holds100000EntriesAndStaysCorrectAfterErasures) {
  constexpr uint32_t kEntries = 100'000;
  FlatHashMap<uint32_t, uint32_t> map(kEntries);
  // SSRC-like keys: sequential values stress the hash; random ones the probing.
  std::mt19937 rng(42);
  std::vector<uint32_t> keys;
  keys.reserve(kEntries);
  for (uint32_t i = 0; i < kEntries / 2; ++i) keys.push_back(0x10000000u + i);
  while (keys.size() < kEntries) {
    const uint32_t k = rng();
    if (k < 0x10000000u || k >= 0x10000000u + kEntries) keys.push_back(k);
  }
  std::unordered_map<uint32_t, uint32_t> reference;
  for (uint32_t i = 0; i < kEntries; ++i) {
    if (reference.emplace(keys[i], i).second) {
      ASSERT_TRUE(map.Insert(keys[i], i));
    }
  }
  EXPECT_EQ(map.size(), reference.size());
  for (const auto& [k, v] : reference) {
    const uint32_t* found = map.Find(k);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, v);
  }
  // Erase every other key, then verify survivors and absentees.
  size_t i = 0;
  for (auto it = reference.begin(); it != reference.end(); ++i) {
    if (i % 2 == 0) {
      ASSERT_TRUE(map.Erase(it->first));
      it = reference.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [k, v] : reference) {
    const uint32_t* found = map.Find(k);
    ASSERT_NE(found, nullptr) << k;
    EXPECT_EQ(*found, v);
  }
  size_t visited = 0;
  map.ForEach([&](uint32_t k, uint32_t v) {
    ++visited;
    EXPECT_EQ(reference.at(k), v);
  });
  EXPECT_EQ(visited, reference.size());
}

TEST(FlatHashMapTest, RandomOperationsMatchReference) {
  FlatHashMap<uint64_t, uint64_t> map(1000);
  std::unordered_map<uint64_t, uint64_t> reference;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 200'000; ++step) {
    const uint64_t key = rng() % 1500;  // dense keys force long probe chains and shifts
    switch (rng() % 3) {
      case 0:
        if (reference.size() < 1000 && !reference.count(key)) {
          ASSERT_TRUE(map.Insert(key, step));
          reference[key] = step;
        }
        break;
      case 1:
        ASSERT_EQ(map.Erase(key), reference.erase(key) == 1);
        break;
      default: {
        const uint64_t* v = map.Find(key);
        auto it = reference.find(key);
        ASSERT_EQ(v != nullptr, it != reference.end());
        if (v) {
          ASSERT_EQ(*v, it->second);
        }
      }
    }
  }
  EXPECT_EQ(map.size(), reference.size());
}

TEST(FlatHashMapTest, EndpointKeys) {
  FlatHashMap<Endpoint, int, EndpointHash> map(8);
  const Endpoint a = Endpoint::FromIpv4(0xC6120001, 5000);
  const Endpoint b = Endpoint::FromIpv4(0xC6120001, 5001);
  const std::array<uint8_t, 16> v6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const Endpoint c = Endpoint::FromIpv6(v6, 5000);
  EXPECT_TRUE(a.IsIpv4());
  EXPECT_EQ(a.Ipv4(), 0xC6120001u);
  EXPECT_FALSE(c.IsIpv4());
  EXPECT_TRUE(map.Insert(a, 1));
  EXPECT_TRUE(map.Insert(b, 2));
  EXPECT_TRUE(map.Insert(c, 3));
  EXPECT_EQ(*map.Find(a), 1);
  EXPECT_EQ(*map.Find(b), 2);
  EXPECT_EQ(*map.Find(c), 3);
  EXPECT_EQ(map.Find(Endpoint::FromIpv4(0xC6120002, 5000)), nullptr);
}

}  // namespace
}  // namespace mgw::dp
