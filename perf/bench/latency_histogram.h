#pragma once

// Latency samples in 100 ns buckets up to 50 ms (beyond counts in the last bucket): constant
// memory, O(1) record, percentiles by one scan.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mgw::bench {

class LatencyHistogram {
 public:
  static constexpr uint64_t kBucketNs = 100;
  static constexpr size_t kBuckets = 500'000;

  LatencyHistogram() : buckets_(kBuckets, 0) {}

  void Record(uint64_t ns) {
    size_t i = ns / kBucketNs;
    ++buckets_[i < kBuckets ? i : kBuckets - 1];
    ++count_;
  }
  void Clear() {
    std::fill(buckets_.begin(), buckets_.end(), 0);
    count_ = 0;
  }
  uint64_t count() const { return count_; }

  // The q-quantile (0 < q < 1) in microseconds (upper edge of its bucket); 0 when empty.
  double PercentileMicros(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i];
      if (seen >= rank) return static_cast<double>((i + 1) * kBucketNs) / 1000.0;
    }
    return static_cast<double>(kBuckets * kBucketNs) / 1000.0;
  }

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
};

}  // namespace mgw::bench
