#pragma once

// Lets an event through at most once per interval of injected time. Used to forward keyframe
// requests (PLI/FIR) upstream at most once per interval per publisher stream, however many
// subscribers ask.

#include <cstdint>

namespace mgw::dp {

class IntervalLimiter {
 public:
  IntervalLimiter() = default;
  explicit IntervalLimiter(uint64_t interval_us) : interval_us_(interval_us) {}

  // True (and the interval restarts) when no event passed within the last interval.
  bool Allow(uint64_t now_us) {
    if (has_passed_ && now_us - last_pass_us_ < interval_us_) return false;
    has_passed_ = true;
    last_pass_us_ = now_us;
    return true;
  }

  void Reset() { has_passed_ = false; }
  uint64_t interval_us() const { return interval_us_; }

 private:
  uint64_t interval_us_ = 0;
  uint64_t last_pass_us_ = 0;
  bool has_passed_ = false;
};

}  // namespace mgw::dp
