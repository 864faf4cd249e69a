#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

enum class Role { kAdmin, kUser };
std::string_view ToString(Role role);
std::optional<Role> ParseRole(std::string_view text);

enum class ApiKeyScope { kRead, kWrite, kAdmin };
std::string_view ToString(ApiKeyScope scope);
std::optional<ApiKeyScope> ParseApiKeyScope(std::string_view text);

struct Account {
  std::int64_t id = 0;
  std::string email;          // normalized: trimmed, ASCII lower-case
  std::string password_hash;  // PasswordHash::Hash() output (argon2id, encoded)
  Role role = Role::kUser;
  TimePoint created_at;
  TimePoint updated_at;
};

struct NewAccount {
  std::string email;
  std::string password_hash;
  Role role = Role::kUser;
};

// A bearer token. Only its SHA-256 (HashToken() in secret_token.h) is stored.
struct AccessToken {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string token_hash;
  TimePoint created_at;
  TimePoint expires_at;
  std::optional<TimePoint> revoked_at;

  bool IsActive(TimePoint now) const { return !revoked_at && now < expires_at; }
};

struct NewAccessToken {
  std::int64_t account_id = 0;
  std::string token_hash;
  TimePoint expires_at;
};

// A long-lived key for machines, with a scope. Only its SHA-256 is stored.
struct ApiKey {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string name;
  std::string key_hash;
  ApiKeyScope scope = ApiKeyScope::kRead;
  TimePoint created_at;
  std::optional<TimePoint> expires_at;  // none: until revoked
  std::optional<TimePoint> revoked_at;

  bool IsActive(TimePoint now) const { return !revoked_at && (!expires_at || now < *expires_at); }
};

struct NewApiKey {
  std::int64_t account_id = 0;
  std::string name;
  std::string key_hash;
  ApiKeyScope scope = ApiKeyScope::kRead;
  std::optional<TimePoint> expires_at;
};

// Keyset pagination: rows with id > after_id, at most `limit`, in id order.
struct PageRequest {
  std::size_t limit = 100;
  std::int64_t after_id = 0;
};

// Accounts, their bearer tokens and API keys. Thread-safe (as thread-safe as the Database). Every
// call throws StorageError; the kinds each one documents are the ones a caller should expect.
class AccountStore {
 public:
  AccountStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  Database& database() const { return db_; }
  const Clock& clock() const { return clock_; }

  // kUniqueViolation when an account with the same (normalized) email exists; kInvalidArgument
  // for an empty email or password hash.
  Account Create(const NewAccount& account);
  std::optional<Account> FindById(std::int64_t id);
  std::optional<Account> FindByEmail(std::string_view email);  // normalized before lookup
  std::vector<Account> List(const PageRequest& page = {});
  // Deletes the account with its tokens and keys. kNotFound when there is no such account.
  void Delete(std::int64_t id);
  std::int64_t CountAdmins();

  // kConstraintViolation when the account does not exist, kUniqueViolation on a hash collision.
  AccessToken CreateToken(const NewAccessToken& token);
  // The token with this hash in any state (expired and revoked included).
  std::optional<AccessToken> FindTokenByHash(std::string_view token_hash);
  // The token (active or not) with its account, in one query: what authenticating a request
  // needs. Nothing when no token has this hash.
  std::optional<std::pair<AccessToken, Account>> FindTokenWithAccountByHash(
      std::string_view token_hash);
  // The token with this hash if it is neither revoked nor expired at clock().Now().
  std::optional<AccessToken> FindActiveTokenByHash(std::string_view token_hash);
  // True when this call revoked it; false when unknown or already revoked.
  bool RevokeTokenByHash(std::string_view token_hash);
  // Revokes every unrevoked token of the account; returns how many.
  std::int64_t RevokeAllTokens(std::int64_t account_id);

  ApiKey CreateApiKey(const NewApiKey& key);
  std::optional<ApiKey> FindActiveApiKeyByHash(std::string_view key_hash);
  std::vector<ApiKey> ListApiKeys(std::int64_t account_id);
  // True when this call revoked it; false when unknown or already revoked.
  bool RevokeApiKey(std::int64_t key_id);

  // Trims ASCII whitespace and lower-cases ASCII letters; the form stored and looked up.
  static std::string NormalizeEmail(std::string_view email);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace mgw::storage
