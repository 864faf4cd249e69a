#include "mgw/service/request_rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace mgw::service {
namespace {

using namespace std::chrono_literals;

class RequestRateLimiterTest : public ::testing::Test {
 protected:
  RequestRateLimiter::Clock clock() {
    return [this] { return now_; };
  }
  std::chrono::steady_clock::time_point now_{std::chrono::seconds(1000)};
};

TEST_F(RequestRateLimiterTest, BurstThenSustainedRateThenRetryAfter) {
  RequestRateLimiter limiter({.requests_per_second = 2, .burst = 4}, clock());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limiter.Acquire("account:1"), std::nullopt) << i;
  // The fifth at once is refused; a token comes back after half a second: Retry-After 1.
  EXPECT_EQ(limiter.Acquire("account:1"), std::optional<std::int64_t>(1));
  now_ += 499ms;
  EXPECT_EQ(limiter.Acquire("account:1"), std::optional<std::int64_t>(1));
  now_ += 1ms;
  EXPECT_EQ(limiter.Acquire("account:1"), std::nullopt);
  EXPECT_NE(limiter.Acquire("account:1"), std::nullopt);
  // Another caller has its own bucket.
  EXPECT_EQ(limiter.Acquire("account:2"), std::nullopt);
  // Idle time refills up to the burst, not beyond.
  now_ += 1h;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limiter.Acquire("account:1"), std::nullopt) << i;
  EXPECT_NE(limiter.Acquire("account:1"), std::nullopt);
}

TEST_F(RequestRateLimiterTest, SlowRatesAskForWholeSecondsLongEnough) {
  RequestRateLimiter limiter({.requests_per_second = 0.1, .burst = 1}, clock());
  EXPECT_EQ(limiter.Acquire("addr:198.18.0.1"), std::nullopt);
  EXPECT_EQ(limiter.Acquire("addr:198.18.0.1"), std::optional<std::int64_t>(10));
  now_ += 9500ms;
  EXPECT_EQ(limiter.Acquire("addr:198.18.0.1"), std::optional<std::int64_t>(1));
  now_ += 500ms;
  EXPECT_EQ(limiter.Acquire("addr:198.18.0.1"), std::nullopt);
}

TEST_F(RequestRateLimiterTest, ZeroRateMeansNoLimit) {
  RequestRateLimiter limiter({}, clock());
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(limiter.Acquire("k"), std::nullopt);
  EXPECT_EQ(limiter.key_count(), 0u) << "no state kept when disabled";
}

TEST_F(RequestRateLimiterTest, KeyCountStaysBoundedAndIdleKeysGoFirst) {
  RequestRateLimiter limiter({.requests_per_second = 1, .burst = 2, .max_keys = 100}, clock());
  // 100 busy callers (their buckets not full), then time passes for all of them.
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(limiter.Acquire("busy:" + std::to_string(i)), std::nullopt);
    ASSERT_EQ(limiter.Acquire("busy:" + std::to_string(i)), std::nullopt);
  }
  EXPECT_EQ(limiter.key_count(), 100u);
  // Two seconds later every bucket is full again: a new key drops them all, as idle.
  now_ += 2s;
  EXPECT_EQ(limiter.Acquire("new"), std::nullopt);
  EXPECT_EQ(limiter.key_count(), 1u);
  // Many distinct busy keys at one instant: the map never exceeds max_keys.
  for (int i = 0; i < 1000; ++i) {
    limiter.Acquire("flood:" + std::to_string(i));
    limiter.Acquire("flood:" + std::to_string(i));
    ASSERT_LE(limiter.key_count(), 100u);
  }
}

}  // namespace
}  // namespace mgw::service
