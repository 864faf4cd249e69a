#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mgw/storage/account_store.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// An account's bearer tokens as the account itself sees them: the active ones, paged, and
// revocation by id (AccountStore revokes by hash, which only the token's holder knows).
// Thread-safe like the Database.
class TokenStore {
 public:
  TokenStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Active (unrevoked, unexpired) tokens in id order.
  std::vector<AccessToken> ListActive(std::int64_t account_id, std::size_t limit,
                                      std::size_t offset);
  std::int64_t CountActive(std::int64_t account_id);
  // True when this call revoked the account's token `token_id`; false when the account has no
  // such active token.
  bool Revoke(std::int64_t account_id, std::int64_t token_id);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace mgw::storage
