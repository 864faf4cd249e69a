#include "mgw/dp/interval_limiter.h"

#include <gtest/gtest.h>

namespace mgw::dp {
namespace {

TEST(IntervalLimiterTest, AllowsOncePerInterval) {
  IntervalLimiter limiter(500'000);
  EXPECT_TRUE(limiter.Allow(1'000'000));
  EXPECT_FALSE(limiter.Allow(1'000'001));
  EXPECT_FALSE(limiter.Allow(1'499'999));
  EXPECT_TRUE(limiter.Allow(1'500'000));
  EXPECT_FALSE(limiter.Allow(1'600'000));
}

TEST(IntervalLimiterTest, FirstEventAtTimeZeroPasses) {
  IntervalLimiter limiter(100);
  EXPECT_TRUE(limiter.Allow(0));
  EXPECT_FALSE(limiter.Allow(99));
  limiter.Reset();
  EXPECT_TRUE(limiter.Allow(99));
}

}  // namespace
}  // namespace mgw::dp
