#include "mgw/dp/drop_reason.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

#include "mgw/dp/drop_counters.h"

namespace mgw::dp {
namespace {

TEST(DropReasonTest, EveryReasonHasAUniqueSnakeCaseName) {
  std::set<std::string> seen;
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    const std::string name(Name(static_cast<DropReason>(i)));
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_NE(name, "invalid") << i;
    for (const char c : name) {
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '_') << name;
    }
    EXPECT_TRUE(seen.insert(name).second) << "duplicate " << name;
  }
  EXPECT_EQ(Name(DropReason::kShortHeader), "short_header");
  EXPECT_EQ(Name(DropReason::kSrtpAuthFail), "srtp_auth_fail");
  EXPECT_EQ(Name(DropReason::kAddressNotLatched), "address_not_latched");
  EXPECT_EQ(Name(DropReason::kCount), "invalid");
}

TEST(DropCountersTest, CountsPerReasonAndSums) {
  static_assert(alignof(DropCounters) == 64);
  static_assert(sizeof(DropCounters) % 64 == 0);
  DropCounters a;
  a.Add(DropReason::kShortHeader);
  a.Add(DropReason::kShortHeader);
  a.Add(DropReason::kSrtpReplay, 5);
  a.Add(DropReason::kNone, 100);  // not a drop
  EXPECT_EQ(a.Get(DropReason::kShortHeader), 2u);
  EXPECT_EQ(a.Get(DropReason::kSrtpReplay), 5u);
  EXPECT_EQ(a.Get(DropReason::kBadVersion), 0u);
  EXPECT_EQ(a.Total(), 7u);
  DropCounters b;
  b.Add(DropReason::kShortHeader);
  b += a;
  EXPECT_EQ(b.Get(DropReason::kShortHeader), 3u);
  EXPECT_EQ(b.Total(), 8u);
}

}  // namespace
}  // namespace mgw::dp
