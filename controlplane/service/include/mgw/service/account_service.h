#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "mgw/service/caller.h"
#include "mgw/service/login_rate_limiter.h"
#include "mgw/service/page.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/token_store.h"

namespace mgw::service {

struct AccountOptions {
  std::size_t min_password_length = 10;
  std::size_t max_password_length = 256;  // argon2id would take anything; bodies are bounded
  std::chrono::seconds default_token_lifetime{24 * 3600};
  std::chrono::seconds min_token_lifetime{60};
  std::chrono::seconds max_token_lifetime{30 * 24 * 3600};
};

struct SignUpRequest {
  std::string email;
  std::string password;
  storage::Role role = storage::Role::kUser;  // admin only when an administrator signs one up
};

struct LoginRequest {
  std::string email;
  std::string password;
  std::optional<std::int64_t> expires_in_seconds;  // default: AccountOptions
  std::string source_address;                      // for the per-address rate limit
};

struct LoginResult {
  std::string token;  // shown once; only its hash is stored
  storage::AccessToken record;
};

// Accounts and their bearer tokens: sign-up, login, the caller's own account and tokens. One
// function per operation, shared by the HTTP routes and mgwctl. Thread-safe; throws ServiceError
// for refusals and StorageError when the database fails.
class AccountService {
 public:
  AccountService(storage::AccountStore& accounts, storage::TokenStore& tokens,
                 LoginRateLimiter& limiter, AccountOptions options = {})
      : accounts_(accounts), tokens_(tokens), limiter_(limiter), options_(options) {}

  // Checks the email's form and the password's length (kUnprocessable, /problems/invalid-field),
  // then creates the account (kConflict, /problems/email-taken). An admin role needs an
  // administrator as `creator` (kForbidden otherwise).
  storage::Account SignUp(const SignUpRequest& request, const Caller* creator);
  // kRateLimited before checking when too many recent failures; kUnauthenticated
  // (/problems/invalid-credentials) for an unknown email or a wrong password, alike.
  LoginResult Login(const LoginRequest& request);

  storage::Account Me(const Caller& caller);
  Page<storage::AccessToken> ListTokens(const Caller& caller, const PageRequest& page);
  // kNotFound unless the caller has an active token with this id.
  void RevokeToken(const Caller& caller, std::int64_t token_id);
  // Deletes the caller's account with its tokens and keys. kConflict (/problems/last-admin) for
  // the last administrator.
  void DeleteAccount(const Caller& caller);

  // The email checks SignUp applies; empty when valid, else why not.
  static std::string EmailProblem(std::string_view normalized_email);

 private:
  storage::AccountStore& accounts_;
  storage::TokenStore& tokens_;
  LoginRateLimiter& limiter_;
  AccountOptions options_;
};

}  // namespace mgw::service
