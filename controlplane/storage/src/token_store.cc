#include "mgw/storage/token_store.h"

#include "mgw/storage/transaction.h"

namespace mgw::storage {

std::vector<AccessToken> TokenStore::ListActive(std::int64_t account_id, std::size_t limit,
                                                std::size_t offset) {
  std::vector<AccessToken> tokens;
  for (const Row& row :
       db_.Query("SELECT id, account_id, token_hash, created_at, expires_at, revoked_at FROM "
                 "access_tokens WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ? "
                 "ORDER BY id LIMIT CAST(? AS BIGINT) OFFSET CAST(? AS BIGINT)",
                 {account_id, ToUnixMillis(clock_.Now()), limit, offset})) {
    tokens.push_back(AccessToken{.id = row.GetInt64(0),
                                 .account_id = row.GetInt64(1),
                                 .token_hash = row.GetString(2),
                                 .created_at = FromUnixMillis(row.GetInt64(3)),
                                 .expires_at = FromUnixMillis(row.GetInt64(4)),
                                 .revoked_at = std::nullopt});
  }
  return tokens;
}

std::int64_t TokenStore::CountActive(std::int64_t account_id) {
  return db_
      .QueryOne(
          "SELECT COUNT(*) FROM access_tokens WHERE account_id = ? AND revoked_at IS NULL AND "
          "expires_at > ?",
          {account_id, ToUnixMillis(clock_.Now())})
      ->GetInt64(0);
}

bool TokenStore::Revoke(std::int64_t account_id, std::int64_t token_id) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  return InTransaction(db_, [&](Transaction& tx) {
    std::optional<Row> row = tx.QueryOne(
        "UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND "
        "revoked_at IS NULL AND expires_at > $1 RETURNING token_hash",
        {now, token_id, account_id});
    if (row) tx.MarkChanged(CacheKey("token", row->GetString(0)));
    return row.has_value();
  });
}

}  // namespace mgw::storage
