#include "mgw/storage/account_store.h"

#include <fmt/format.h>

#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"

namespace mgw::storage {
namespace {

constexpr const char* kAccountColumns = "id, email, password_hash, role, created_at, updated_at";
constexpr const char* kTokenColumns =
    "id, account_id, token_hash, created_at, expires_at, revoked_at";
constexpr const char* kApiKeyColumns =
    "id, account_id, name, key_hash, scope, created_at, expires_at, revoked_at";

std::optional<TimePoint> OptionalTime(const Row& row, std::size_t column) {
  if (row.IsNull(column)) return std::nullopt;
  return FromUnixMillis(row.GetInt64(column));
}

std::optional<std::int64_t> OptionalMillis(const std::optional<TimePoint>& time) {
  if (!time) return std::nullopt;
  return ToUnixMillis(*time);
}

// `base`: the index of the first column, for rows that join several tables.
Account AccountFromRow(const Row& row, std::size_t base = 0) {
  std::optional<Role> role = ParseRole(row.GetString(base + 3));
  if (!role) {
    throw StorageError(StorageErrorKind::kInternal, "unknown role " + row.GetString(base + 3));
  }
  return Account{.id = row.GetInt64(base),
                 .email = row.GetString(base + 1),
                 .password_hash = row.GetString(base + 2),
                 .role = *role,
                 .created_at = FromUnixMillis(row.GetInt64(base + 4)),
                 .updated_at = FromUnixMillis(row.GetInt64(base + 5))};
}

AccessToken TokenFromRow(const Row& row) {
  return AccessToken{.id = row.GetInt64(0),
                     .account_id = row.GetInt64(1),
                     .token_hash = row.GetString(2),
                     .created_at = FromUnixMillis(row.GetInt64(3)),
                     .expires_at = FromUnixMillis(row.GetInt64(4)),
                     .revoked_at = OptionalTime(row, 5)};
}
constexpr std::size_t kTokenColumnCount = 6;

ApiKey ApiKeyFromRow(const Row& row) {
  std::optional<ApiKeyScope> scope = ParseApiKeyScope(row.GetString(4));
  if (!scope) {
    throw StorageError(StorageErrorKind::kInternal, "unknown API key scope " + row.GetString(4));
  }
  return ApiKey{.id = row.GetInt64(0),
                .account_id = row.GetInt64(1),
                .name = row.GetString(2),
                .key_hash = row.GetString(3),
                .scope = *scope,
                .created_at = FromUnixMillis(row.GetInt64(5)),
                .expires_at = OptionalTime(row, 6),
                .revoked_at = OptionalTime(row, 7)};
}

void RequireNonEmpty(std::string_view value, std::string_view what) {
  if (value.empty()) {
    throw StorageError(StorageErrorKind::kInvalidArgument, fmt::format("{} is empty", what));
  }
}

}  // namespace

std::string_view ToString(Role role) { return role == Role::kAdmin ? "admin" : "user"; }

std::optional<Role> ParseRole(std::string_view text) {
  if (text == "admin") return Role::kAdmin;
  if (text == "user") return Role::kUser;
  return std::nullopt;
}

std::string_view ToString(ApiKeyScope scope) {
  switch (scope) {
    case ApiKeyScope::kRead:
      return "read";
    case ApiKeyScope::kWrite:
      return "write";
    case ApiKeyScope::kAdmin:
      return "admin";
  }
  return "read";
}

std::optional<ApiKeyScope> ParseApiKeyScope(std::string_view text) {
  if (text == "read") return ApiKeyScope::kRead;
  if (text == "write") return ApiKeyScope::kWrite;
  if (text == "admin") return ApiKeyScope::kAdmin;
  return std::nullopt;
}

std::string AccountStore::NormalizeEmail(std::string_view email) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!email.empty() && blank(email.front())) email.remove_prefix(1);
  while (!email.empty() && blank(email.back())) email.remove_suffix(1);
  std::string out(email);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Account AccountStore::Create(const NewAccount& account) {
  const std::string email = NormalizeEmail(account.email);
  RequireNonEmpty(email, "email");
  RequireNonEmpty(account.password_hash, "password hash");
  const std::int64_t now = ToUnixMillis(clock_.Now());
  std::optional<Row> row = db_.QueryOne(
      fmt::format("INSERT INTO accounts (email, password_hash, role, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?) RETURNING {}",
                  kAccountColumns),
      {email, account.password_hash, ToString(account.role), now, now});
  return AccountFromRow(*row);
}

std::optional<Account> AccountStore::FindById(std::int64_t id) {
  std::optional<Row> row =
      db_.QueryOne(fmt::format("SELECT {} FROM accounts WHERE id = ?", kAccountColumns), {id});
  if (!row) return std::nullopt;
  return AccountFromRow(*row);
}

std::optional<Account> AccountStore::FindByEmail(std::string_view email) {
  std::optional<Row> row =
      db_.QueryOne(fmt::format("SELECT {} FROM accounts WHERE email = ?", kAccountColumns),
                   {NormalizeEmail(email)});
  if (!row) return std::nullopt;
  return AccountFromRow(*row);
}

std::vector<Account> AccountStore::List(const PageRequest& page) {
  std::vector<Account> accounts;
  for (const Row& row : db_.Query(
           fmt::format("SELECT {} FROM accounts WHERE id > ? ORDER BY id LIMIT ?", kAccountColumns),
           {page.after_id, page.limit})) {
    accounts.push_back(AccountFromRow(row));
  }
  return accounts;
}

void AccountStore::Delete(std::int64_t id) {
  InTransaction(db_, [&](Transaction& tx) {
    if (tx.Execute("DELETE FROM accounts WHERE id = ?", {id}) == 0) {
      throw StorageError(StorageErrorKind::kNotFound, fmt::format("no account {}", id));
    }
    tx.MarkChanged(CacheKey("account", std::to_string(id)));
    // ON DELETE SET NULL cleared host_account_id of the meetings it hosted.
    tx.MarkChanged("meeting:*");
  });
}

std::int64_t AccountStore::CountAdmins() {
  return db_.QueryOne("SELECT COUNT(*) FROM accounts WHERE role = 'admin'")->GetInt64(0);
}

AccessToken AccountStore::CreateToken(const NewAccessToken& token) {
  RequireNonEmpty(token.token_hash, "token hash");
  std::optional<Row> row = db_.QueryOne(
      fmt::format("INSERT INTO access_tokens (account_id, token_hash, created_at, expires_at) "
                  "VALUES (?, ?, ?, ?) RETURNING {}",
                  kTokenColumns),
      {token.account_id, token.token_hash, ToUnixMillis(clock_.Now()),
       ToUnixMillis(token.expires_at)});
  return TokenFromRow(*row);
}

std::optional<AccessToken> AccountStore::FindTokenByHash(std::string_view token_hash) {
  std::optional<Row> row =
      db_.QueryOne(fmt::format("SELECT {} FROM access_tokens WHERE token_hash = ?", kTokenColumns),
                   {token_hash});
  if (!row) return std::nullopt;
  return TokenFromRow(*row);
}

std::optional<std::pair<AccessToken, Account>> AccountStore::FindTokenWithAccountByHash(
    std::string_view token_hash) {
  std::optional<Row> row = db_.QueryOne(
      "SELECT t.id, t.account_id, t.token_hash, t.created_at, t.expires_at, t.revoked_at, "
      "a.id, a.email, a.password_hash, a.role, a.created_at, a.updated_at "
      "FROM access_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = ?",
      {token_hash});
  if (!row) return std::nullopt;
  return std::pair{TokenFromRow(*row), AccountFromRow(*row, kTokenColumnCount)};
}

std::optional<AccessToken> AccountStore::FindActiveTokenByHash(std::string_view token_hash) {
  std::optional<AccessToken> token = FindTokenByHash(token_hash);
  if (!token || !token->IsActive(clock_.Now())) return std::nullopt;
  return token;
}

bool AccountStore::RevokeTokenByHash(std::string_view token_hash) {
  return InTransaction(db_, [&](Transaction& tx) {
    const bool revoked =
        tx.Execute(
            "UPDATE access_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            {ToUnixMillis(clock_.Now()), token_hash}) > 0;
    if (revoked) tx.MarkChanged(CacheKey("token", token_hash));
    return revoked;
  });
}

std::int64_t AccountStore::RevokeAllTokens(std::int64_t account_id) {
  return InTransaction(db_, [&](Transaction& tx) {
    const std::int64_t revoked = tx.Execute(
        "UPDATE access_tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
        {ToUnixMillis(clock_.Now()), account_id});
    if (revoked > 0) tx.MarkChanged(CacheKey("account", std::to_string(account_id)));
    return revoked;
  });
}

ApiKey AccountStore::CreateApiKey(const NewApiKey& key) {
  RequireNonEmpty(key.key_hash, "API key hash");
  std::optional<Row> row = db_.QueryOne(
      fmt::format("INSERT INTO api_keys (account_id, name, key_hash, scope, created_at, "
                  "expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {}",
                  kApiKeyColumns),
      {key.account_id, key.name, key.key_hash, ToString(key.scope), ToUnixMillis(clock_.Now()),
       OptionalMillis(key.expires_at)});
  return ApiKeyFromRow(*row);
}

std::optional<ApiKey> AccountStore::FindActiveApiKeyByHash(std::string_view key_hash) {
  std::optional<Row> row = db_.QueryOne(
      fmt::format("SELECT {} FROM api_keys WHERE key_hash = ?", kApiKeyColumns), {key_hash});
  if (!row) return std::nullopt;
  ApiKey key = ApiKeyFromRow(*row);
  if (!key.IsActive(clock_.Now())) return std::nullopt;
  return key;
}

std::vector<ApiKey> AccountStore::ListApiKeys(std::int64_t account_id) {
  std::vector<ApiKey> keys;
  for (const Row& row : db_.Query(
           fmt::format("SELECT {} FROM api_keys WHERE account_id = ? ORDER BY id", kApiKeyColumns),
           {account_id})) {
    keys.push_back(ApiKeyFromRow(row));
  }
  return keys;
}

bool AccountStore::RevokeApiKey(std::int64_t key_id) {
  return InTransaction(db_, [&](Transaction& tx) {
    std::optional<Row> row = tx.QueryOne(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING key_hash",
        {ToUnixMillis(clock_.Now()), key_id});
    if (row) tx.MarkChanged(CacheKey("token", row->GetString(0)));
    return row.has_value();
  });
}

}  // namespace mgw::storage
