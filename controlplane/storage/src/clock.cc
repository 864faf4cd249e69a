#include "mgw/storage/clock.h"

namespace mgw::storage {

TimePoint SystemClock::Now() const { return std::chrono::system_clock::now(); }

ManualClock::ManualClock(TimePoint start) : now_ms_(ToUnixMillis(start)) {}

TimePoint ManualClock::Now() const { return FromUnixMillis(now_ms_.load()); }

void ManualClock::Set(TimePoint now) { now_ms_.store(ToUnixMillis(now)); }

void ManualClock::Advance(std::chrono::milliseconds by) { now_ms_.fetch_add(by.count()); }

std::int64_t ToUnixMillis(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

TimePoint FromUnixMillis(std::int64_t millis) {
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(millis)));
}

}  // namespace mgw::storage
