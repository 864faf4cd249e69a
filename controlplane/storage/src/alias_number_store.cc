#include "mgw/storage/alias_number_store.h"

#include <fmt/format.h>

#include <vector>

#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

// Rows read per query while looking for a free number: enough that a mostly sequential range is
// one query, small enough that a crowded range is not read whole.
constexpr std::int64_t kScanBatch = 256;

struct Held {
  std::int64_t number = 0;
  std::optional<std::int64_t> released_at;
};

// The first number in [from, to] that is free or whose quarantine is over, or nothing.
std::optional<std::int64_t> FirstFree(SqlExecutor& executor, std::int64_t from, std::int64_t to,
                                      std::int64_t reusable_before) {
  std::int64_t candidate = from;
  while (candidate <= to) {
    std::vector<Held> held;
    for (const Row& row : executor.Query(
             "SELECT number, released_at FROM alias_numbers WHERE number >= ? AND number <= ? "
             "ORDER BY number LIMIT ?",
             {candidate, to, kScanBatch})) {
      held.push_back({row.GetInt64(0), row.GetOptionalInt64(1)});
    }
    for (const Held& row : held) {
      if (row.number > candidate) return candidate;  // a gap: never used
      if (row.released_at && *row.released_at <= reusable_before) return candidate;
      candidate = row.number + 1;
    }
    if (static_cast<std::int64_t>(held.size()) < kScanBatch) {
      return candidate <= to ? std::optional(candidate) : std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> AliasNumberStore::Allocate(SqlExecutor& executor,
                                                       const AliasNumberRange& range,
                                                       std::chrono::milliseconds quarantine,
                                                       std::optional<std::int64_t> schedule_id) {
  if (range.first > range.last || range.first < 0) {
    throw StorageError(StorageErrorKind::kInvalidArgument,
                       fmt::format("empty alias number range {}..{}", range.first, range.last));
  }
  const std::int64_t now = ToUnixMillis(clock_.Now());
  executor.Execute(
      "INSERT INTO alias_number_cursor (id, next_number) VALUES (1, ?) ON CONFLICT DO NOTHING",
      {range.first});
  // The no-op update takes the row lock: concurrent allocators queue here on PostgreSQL.
  executor.Execute("UPDATE alias_number_cursor SET next_number = next_number WHERE id = 1");
  std::int64_t start =
      executor.QueryOne("SELECT next_number FROM alias_number_cursor WHERE id = 1")->GetInt64(0);
  if (start < range.first || start > range.last) start = range.first;  // the range was changed

  const std::int64_t reusable_before = now - quarantine.count();
  std::optional<std::int64_t> number = FirstFree(executor, start, range.last, reusable_before);
  if (!number && start > range.first) {
    number = FirstFree(executor, range.first, start - 1, reusable_before);  // wrap around
  }
  if (!number) return std::nullopt;

  executor.Execute(
      "INSERT INTO alias_numbers (number, schedule_id, allocated_at, released_at) "
      "VALUES ($1, $2, $3, NULL) ON CONFLICT (number) DO UPDATE "
      "SET schedule_id = $2, allocated_at = $3, released_at = NULL",
      {*number, schedule_id, now});
  const std::int64_t next = *number >= range.last ? range.first : *number + 1;
  executor.Execute("UPDATE alias_number_cursor SET next_number = ? WHERE id = 1", {next});
  return number;
}

bool AliasNumberStore::Release(SqlExecutor& executor, std::int64_t number) {
  return executor.Execute(
             "UPDATE alias_numbers SET released_at = ? WHERE number = ? AND released_at IS NULL",
             {ToUnixMillis(clock_.Now()), number}) > 0;
}

std::optional<AliasNumberAllocation> AliasNumberStore::Find(SqlExecutor& executor,
                                                            std::int64_t number) {
  std::optional<Row> row = executor.QueryOne(
      "SELECT number, schedule_id, allocated_at, released_at FROM alias_numbers WHERE number = ?",
      {number});
  if (!row) return std::nullopt;
  std::optional<std::int64_t> released = row->GetOptionalInt64(3);
  return AliasNumberAllocation{
      .number = row->GetInt64(0),
      .schedule_id = row->GetOptionalInt64(1),
      .allocated_at = FromUnixMillis(row->GetInt64(2)),
      .released_at = released ? std::optional(FromUnixMillis(*released)) : std::nullopt};
}

}  // namespace mgw::storage
