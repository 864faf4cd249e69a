#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mgw::service {

struct RequestRateLimits {
  double requests_per_second = 0;  // sustained rate per key; 0: no limit
  double burst = 0;                // requests a key may make at once (at least 1)
  std::size_t max_keys = 100'000;  // buckets kept; idle (full) ones are dropped beyond this
};

// A token bucket per caller (an account, or a source address before authentication), so one
// noisy control system cannot starve the others. State lives in this process: with several
// control planes on one database each enforces the limit on the requests it serves.
// Thread-safe.
class RequestRateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit RequestRateLimiter(RequestRateLimits limits, Clock clock = DefaultClock);

  // Takes one token for `key`; when none is left, the whole seconds (at least 1) after which
  // one will be, for Retry-After.
  std::optional<std::int64_t> Acquire(std::string_view key);

  bool enabled() const { return limits_.requests_per_second > 0; }
  std::size_t key_count() const;

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  static std::chrono::steady_clock::time_point DefaultClock();
  double Refill(Bucket& bucket, std::chrono::steady_clock::time_point now) const;
  void DropIdleBuckets(std::chrono::steady_clock::time_point now);

  RequestRateLimits limits_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace mgw::service
