#include "mgw/storage/api_key_store.h"

#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

constexpr const char* kSelectKey =
    "SELECT id, account_id, name, key_hash, scope, created_at, expires_at, revoked_at FROM "
    "api_keys ";
// Active: not revoked, and without an expiry or before it. $1 is now.
constexpr const char* kActive =
    "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > CAST($1 AS BIGINT))";

ApiKey KeyFromRow(const Row& row) {
  std::optional<ApiKeyScope> scope = ParseApiKeyScope(row.GetString(4));
  if (!scope) {
    throw StorageError(StorageErrorKind::kInternal, "unknown API key scope " + row.GetString(4));
  }
  ApiKey key{.id = row.GetInt64(0),
             .account_id = row.GetInt64(1),
             .name = row.GetString(2),
             .key_hash = row.GetString(3),
             .scope = *scope,
             .created_at = FromUnixMillis(row.GetInt64(5))};
  if (!row.IsNull(6)) key.expires_at = FromUnixMillis(row.GetInt64(6));
  if (!row.IsNull(7)) key.revoked_at = FromUnixMillis(row.GetInt64(7));
  return key;
}

}  // namespace

std::optional<ApiKey> ApiKeyStore::Find(std::int64_t key_id) {
  std::optional<Row> row = db_.QueryOne(std::string(kSelectKey) + "WHERE id = ?", {key_id});
  if (!row) return std::nullopt;
  return KeyFromRow(*row);
}

std::vector<ApiKey> ApiKeyStore::ListActive(std::int64_t account_id, std::size_t limit,
                                            std::size_t offset) {
  std::vector<ApiKey> keys;
  for (const Row& row :
       db_.Query(std::string(kSelectKey) + "WHERE account_id = $2 AND " + kActive +
                     " ORDER BY id LIMIT CAST($3 AS BIGINT) OFFSET CAST($4 AS BIGINT)",
                 {ToUnixMillis(clock_.Now()), account_id, limit, offset})) {
    keys.push_back(KeyFromRow(row));
  }
  return keys;
}

std::int64_t ApiKeyStore::CountActive(std::int64_t account_id) {
  return db_
      .QueryOne(std::string("SELECT COUNT(*) FROM api_keys WHERE account_id = $2 AND ") + kActive,
                {ToUnixMillis(clock_.Now()), account_id})
      ->GetInt64(0);
}

}  // namespace mgw::storage
