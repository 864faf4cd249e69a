#pragma once

// Per-worker drop counters, indexed by DropReason. One instance per worker, written by that
// worker's core only; the metrics reader sums the workers (VPP style). Aligned to a cache line so
// two workers' blocks never share one.

#include <array>
#include <cstdint>

#include "mgw/dp/drop_reason.h"

namespace mgw::dp {

struct alignas(64) DropCounters {
  std::array<uint64_t, kDropReasonCount> by_reason{};

  void Add(DropReason reason, uint64_t n = 1) { by_reason[static_cast<size_t>(reason)] += n; }
  uint64_t Get(DropReason reason) const { return by_reason[static_cast<size_t>(reason)]; }

  // Sum over every real reason (kNone excluded).
  uint64_t Total() const {
    uint64_t total = 0;
    for (size_t i = 1; i < by_reason.size(); ++i) total += by_reason[i];
    return total;
  }

  DropCounters& operator+=(const DropCounters& other) {
    for (size_t i = 0; i < by_reason.size(); ++i) by_reason[i] += other.by_reason[i];
    return *this;
  }
};

}  // namespace mgw::dp
