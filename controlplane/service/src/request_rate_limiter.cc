#include "mgw/service/request_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace mgw::service {

RequestRateLimiter::RequestRateLimiter(RequestRateLimits limits, Clock clock)
    : limits_(limits), clock_(std::move(clock)) {
  limits_.burst = std::max(limits_.burst, 1.0);
}

std::chrono::steady_clock::time_point RequestRateLimiter::DefaultClock() {
  return std::chrono::steady_clock::now();
}

double RequestRateLimiter::Refill(Bucket& bucket, std::chrono::steady_clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  if (elapsed > 0) {
    bucket.tokens = std::min(limits_.burst, bucket.tokens + elapsed * limits_.requests_per_second);
    bucket.updated = now;
  }
  return bucket.tokens;
}

std::optional<std::int64_t> RequestRateLimiter::Acquire(std::string_view key) {
  if (!enabled()) return std::nullopt;
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_keys) DropIdleBuckets(now);
    it = buckets_.emplace(std::string(key), Bucket{limits_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  if (Refill(bucket, now) >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - bucket.tokens) / limits_.requests_per_second;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait)));
}

void RequestRateLimiter::DropIdleBuckets(std::chrono::steady_clock::time_point now) {
  // A bucket that has refilled completely carries no state: forgetting it changes nothing.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = Refill(it->second, now) >= limits_.burst ? buckets_.erase(it) : std::next(it);
  }
  // Still full of busy callers (an attack from many addresses): forget half of them rather than
  // grow without bound; each starts again with a full bucket, which bounds the damage to one
  // burst per forgotten key.
  if (buckets_.size() >= limits_.max_keys) {
    std::size_t drop = buckets_.size() / 2;
    for (auto it = buckets_.begin(); it != buckets_.end() && drop > 0; --drop) {
      it = buckets_.erase(it);
    }
  }
}

std::size_t RequestRateLimiter::key_count() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace mgw::service
