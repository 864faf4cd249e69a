#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mgw::storage {

using TimePoint = std::chrono::system_clock::time_point;

// Time is injected: stores ask a Clock, never the system directly, so tests can move time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start);

  TimePoint Now() const override;
  void Set(TimePoint now);
  void Advance(std::chrono::milliseconds by);

 private:
  std::atomic<std::int64_t> now_ms_;
};

// Times are stored as integer milliseconds since the Unix epoch (BIGINT) in both dialects.
std::int64_t ToUnixMillis(TimePoint time);
TimePoint FromUnixMillis(std::int64_t millis);

}  // namespace mgw::storage
