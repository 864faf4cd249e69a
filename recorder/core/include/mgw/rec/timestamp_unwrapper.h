#pragma once

// Extends 32-bit RTP timestamps to 64 bits by following their signed difference from the last
// one seen, so a stream longer than 2^32 ticks (13 hours at 90 kHz) never wraps downstream and a
// slightly older timestamp (a B-frame, a retransmission) extends below the last one.

#include <cstdint>

namespace mgw::rec {

class TimestampUnwrapper {
 public:
  uint64_t Unwrap(uint32_t timestamp) {
    if (!started_) {
      started_ = true;
      // Start one cycle up so a timestamp slightly before the first never goes below zero.
      last_ = (uint64_t{1} << 32) + timestamp;
      return last_;
    }
    const int32_t delta = static_cast<int32_t>(timestamp - static_cast<uint32_t>(last_));
    last_ = static_cast<uint64_t>(static_cast<int64_t>(last_) + delta);
    return last_;
  }
  void Reset() { started_ = false; }

 private:
  bool started_ = false;
  uint64_t last_ = 0;
};

}  // namespace mgw::rec
