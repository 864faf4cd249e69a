#include "dpdk/neighbor_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace mgw::io {
namespace {

TEST(NeighborTableTest, LearnsAndLooksUp) {
  NeighborTable table;
  MacAddress mac;
  EXPECT_FALSE(table.Lookup(0xC6120001, &mac));
  table.Learn(0xC6120001, {2, 0, 0, 0, 0, 1}, /*create=*/false);
  EXPECT_FALSE(table.Lookup(0xC6120001, &mac)) << "a refresh must not create";
  table.Learn(0xC6120001, {2, 0, 0, 0, 0, 1}, /*create=*/true);
  ASSERT_TRUE(table.Lookup(0xC6120001, &mac));
  EXPECT_EQ(mac, (MacAddress{2, 0, 0, 0, 0, 1}));
  table.Learn(0xC6120001, {2, 0, 0, 0, 0, 9}, /*create=*/false);
  ASSERT_TRUE(table.Lookup(0xC6120001, &mac));
  EXPECT_EQ(mac[5], 9);
}

TEST(NeighborTableTest, RateLimitsArpRequests) {
  NeighborTable table;
  EXPECT_TRUE(table.ShouldRequest(0xC6120003, 1000, 100));
  EXPECT_FALSE(table.ShouldRequest(0xC6120003, 1050, 100));
  EXPECT_TRUE(table.ShouldRequest(0xC6120003, 1100, 100));
  MacAddress mac;
  EXPECT_FALSE(table.Lookup(0xC6120003, &mac)) << "pending is not resolved";
  table.Learn(0xC6120003, {2, 0, 0, 0, 0, 3}, /*create=*/false);  // the reply fills it
  EXPECT_TRUE(table.Lookup(0xC6120003, &mac));
}

TEST(NeighborTableTest, KeepsManyAddresses) {
  NeighborTable table;
  for (uint32_t host = 1; host <= 200; ++host) {
    table.Learn(0x0A000000 + host, {2, 0, 0, 0, 0, static_cast<uint8_t>(host)}, true);
  }
  int found = 0;
  for (uint32_t host = 1; host <= 200; ++host) {
    MacAddress mac;
    if (table.Lookup(0x0A000000 + host, &mac)) {
      EXPECT_EQ(mac[5], host);
      ++found;
    }
  }
  EXPECT_GE(found, 190);  // a full probe window may evict a few; never a wrong MAC
}

// A reader on another thread never sees half of one MAC and half of another.
TEST(NeighborTableTest, ReadersNeverSeeTornEntries) {
  NeighborTable table;
  table.Learn(0xC6120001, {1, 1, 1, 1, 1, 1}, true);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!done.load(std::memory_order_relaxed)) {
      MacAddress mac;
      if (!table.Lookup(0xC6120001, &mac)) continue;
      for (uint8_t byte : mac) torn += byte != mac[0];
    }
  });
  for (int i = 0; i < 200000; ++i) {
    const uint8_t value = static_cast<uint8_t>(i);
    table.Learn(0xC6120001, {value, value, value, value, value, value}, false);
  }
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace
}  // namespace mgw::io
