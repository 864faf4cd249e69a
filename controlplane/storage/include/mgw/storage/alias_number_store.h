#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// An operator-configured range of alias numbers, both ends included.
struct AliasNumberRange {
  std::int64_t first = 1000000;
  std::int64_t last = 9999999;
};

struct AliasNumberAllocation {
  std::int64_t number = 0;
  std::optional<std::int64_t> schedule_id;
  TimePoint allocated_at;
  std::optional<TimePoint> released_at;  // none while the number is held
};

// The alias numbers of scheduled conferences. Allocation goes round the range from where the
// last one stopped (wrapping at the end); a number is never held twice, and a released one is
// handed out again only once `quarantine` has passed since its release. Run allocations inside
// the Transaction that uses the number: the cursor's row lock serializes allocators on both
// databases. Thread-safe; holds no state. Every call throws StorageError.
class AliasNumberStore {
 public:
  explicit AliasNumberStore(const Clock& clock) : clock_(clock) {}

  // The number now held for `schedule_id`, or nothing when every number in the range is held or
  // quarantined. kInvalidArgument for an empty range.
  std::optional<std::int64_t> Allocate(SqlExecutor& executor, const AliasNumberRange& range,
                                       std::chrono::milliseconds quarantine,
                                       std::optional<std::int64_t> schedule_id);
  // Starts the number's quarantine; true only for the call that released it.
  bool Release(SqlExecutor& executor, std::int64_t number);
  std::optional<AliasNumberAllocation> Find(SqlExecutor& executor, std::int64_t number);

 private:
  const Clock& clock_;
};

}  // namespace mgw::storage
