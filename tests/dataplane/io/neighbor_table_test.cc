#include "dpdk/neighbor_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace mgw::io {
namespace {

constexpr NeighborTable::Ageing kNoAgeing{};

TEST(NeighborTableTest, LearnsAndLooksUp) {
  NeighborTable table;
  MacAddress mac;
  EXPECT_EQ(table.Lookup(0xC6120001, 0, kNoAgeing, &mac), NeighborTable::State::kMiss);
  table.Learn(0xC6120001, {2, 0, 0, 0, 0, 1}, /*create=*/false, 0);
  EXPECT_EQ(table.Lookup(0xC6120001, 0, kNoAgeing, &mac), NeighborTable::State::kMiss)
      << "a refresh must not create";
  table.Learn(0xC6120001, {2, 0, 0, 0, 0, 1}, /*create=*/true, 0);
  ASSERT_EQ(table.Lookup(0xC6120001, 0, kNoAgeing, &mac), NeighborTable::State::kFresh);
  EXPECT_EQ(mac, (MacAddress{2, 0, 0, 0, 0, 1}));
  table.Learn(0xC6120001, {2, 0, 0, 0, 0, 9}, /*create=*/false, 0);
  ASSERT_EQ(table.Lookup(0xC6120001, 0, kNoAgeing, &mac), NeighborTable::State::kFresh);
  EXPECT_EQ(mac[5], 9);
}

TEST(NeighborTableTest, RateLimitsArpRequests) {
  NeighborTable table;
  EXPECT_TRUE(table.ShouldRequest(0xC6120003, 1000, 100));
  EXPECT_FALSE(table.ShouldRequest(0xC6120003, 1050, 100));
  EXPECT_TRUE(table.ShouldRequest(0xC6120003, 1100, 100));
  MacAddress mac;
  EXPECT_EQ(table.Lookup(0xC6120003, 0, kNoAgeing, &mac), NeighborTable::State::kMiss)
      << "pending is not resolved";
  table.Learn(0xC6120003, {2, 0, 0, 0, 0, 3}, /*create=*/false, 0);  // the reply fills it
  EXPECT_EQ(table.Lookup(0xC6120003, 0, kNoAgeing, &mac), NeighborTable::State::kFresh);
}

TEST(NeighborTableTest, KeepsManyAddresses) {
  NeighborTable table;
  for (uint32_t host = 1; host <= 200; ++host) {
    table.Learn(0x0A000000 + host, {2, 0, 0, 0, 0, static_cast<uint8_t>(host)}, true, 0);
  }
  int found = 0;
  for (uint32_t host = 1; host <= 200; ++host) {
    MacAddress mac;
    if (table.Lookup(0x0A000000 + host, 0, kNoAgeing, &mac) != NeighborTable::State::kMiss) {
      EXPECT_EQ(mac[5], host);
      ++found;
    }
  }
  EXPECT_GE(found, 190);  // a full probe window may evict a few; never a wrong MAC
}

TEST(NeighborTableTest, EntriesGoStaleThenExpireUnlessRefreshed) {
  NeighborTable table;
  const NeighborTable::Ageing ageing{.reachable = 1000, .probe = 300};
  const uint32_t ip = 0xC6120005;
  table.Learn(ip, {2, 0, 0, 0, 0, 5}, true, 10'000);
  MacAddress mac{};
  EXPECT_EQ(table.Lookup(ip, 10'999, ageing, &mac), NeighborTable::State::kFresh);
  EXPECT_EQ(mac[5], 5);
  mac = {};
  EXPECT_EQ(table.Lookup(ip, 11'000, ageing, &mac), NeighborTable::State::kStale);
  EXPECT_EQ(mac[5], 5) << "a stale entry is still used";
  // Asking again is rate limited like any ARP request.
  EXPECT_TRUE(table.ShouldRequest(ip, 11'000, 100));
  EXPECT_FALSE(table.ShouldRequest(ip, 11'050, 100));
  EXPECT_EQ(table.Lookup(ip, 11'299, ageing, &mac), NeighborTable::State::kStale);
  EXPECT_EQ(table.Lookup(ip, 11'300, ageing, &mac), NeighborTable::State::kMiss)
      << "nobody answered within the probe time";
  // An answer (here with a new MAC) makes it fresh again.
  table.Learn(ip, {2, 0, 0, 0, 0, 6}, false, 11'400);
  EXPECT_EQ(table.Lookup(ip, 11'500, ageing, &mac), NeighborTable::State::kFresh);
  EXPECT_EQ(mac[5], 6);
  EXPECT_TRUE(table.ShouldRequest(ip, 12'400, 100)) << "an answer resets the request limiter";
  // Without ageing, nothing goes stale.
  EXPECT_EQ(table.Lookup(ip, 1'000'000'000, kNoAgeing, &mac), NeighborTable::State::kFresh);
}

// A reader on another thread never sees half of one MAC and half of another.
TEST(NeighborTableTest, ReadersNeverSeeTornEntries) {
  NeighborTable table;
  table.Learn(0xC6120001, {1, 1, 1, 1, 1, 1}, true, 0);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!done.load(std::memory_order_relaxed)) {
      MacAddress mac;
      if (table.Lookup(0xC6120001, 0, kNoAgeing, &mac) == NeighborTable::State::kMiss) continue;
      for (uint8_t byte : mac) torn += byte != mac[0];
    }
  });
  for (int i = 0; i < 200000; ++i) {
    const uint8_t value = static_cast<uint8_t>(i);
    table.Learn(0xC6120001, {value, value, value, value, value, value}, false, 0);
  }
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace
}  // namespace mgw::io
