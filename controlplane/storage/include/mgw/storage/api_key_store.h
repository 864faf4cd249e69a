#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "mgw/storage/account_store.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// API keys looked up by id and paged, for the keys API (AccountStore creates, finds by hash and
// revokes them). Thread-safe like the Database.
class ApiKeyStore {
 public:
  ApiKeyStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // The key in any state.
  std::optional<ApiKey> Find(std::int64_t key_id);
  // The account's active (unrevoked, unexpired) keys in id order.
  std::vector<ApiKey> ListActive(std::int64_t account_id, std::size_t limit, std::size_t offset);
  std::int64_t CountActive(std::int64_t account_id);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace mgw::storage
