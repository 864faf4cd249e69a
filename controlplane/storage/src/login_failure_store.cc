#include "mgw/storage/login_failure_store.h"

#include <fmt/format.h>

namespace mgw::storage {
namespace {

LoginFailureStore::Window WindowFrom(const Row& row) {
  LoginFailureStore::Window window;
  window.count = row.GetInt64(0);
  if (!row.IsNull(1)) window.oldest = FromUnixMillis(row.GetInt64(1));
  return window;
}

}  // namespace

void LoginFailureStore::Record(std::string_view email, std::string_view source_address,
                               TimePoint prune_before) {
  const std::int64_t cutoff = ToUnixMillis(prune_before);
  db_.Execute(
      "DELETE FROM login_failures WHERE (email = ? OR source_address = ?) AND failed_at < ?",
      {email, source_address, cutoff});
  db_.Execute("INSERT INTO login_failures (email, source_address, failed_at) VALUES (?, ?, ?)",
              {email, source_address, ToUnixMillis(clock_.Now())});
}

LoginFailureStore::Window LoginFailureStore::ForEmail(std::string_view email, TimePoint since) {
  return WindowFrom(*db_.QueryOne(
      "SELECT COUNT(*), MIN(failed_at) FROM login_failures WHERE email = ? AND failed_at >= ?",
      {email, ToUnixMillis(since)}));
}

LoginFailureStore::Window LoginFailureStore::ForAddress(std::string_view source_address,
                                                        TimePoint since) {
  return WindowFrom(*db_.QueryOne(
      "SELECT COUNT(*), MIN(failed_at) FROM login_failures WHERE source_address = ? AND "
      "failed_at >= ?",
      {source_address, ToUnixMillis(since)}));
}

void LoginFailureStore::ClearEmail(std::string_view email) {
  db_.Execute("DELETE FROM login_failures WHERE email = ?", {email});
}

}  // namespace mgw::storage
