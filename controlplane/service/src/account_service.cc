#include "mgw/service/account_service.h"

#include <fmt/format.h>

#include "mgw/service/service_error.h"
#include "mgw/storage/password_hash.h"
#include "mgw/storage/secret_token.h"
#include "mgw/storage/storage_error.h"

namespace mgw::service {
namespace {

ServiceError InvalidField(const char* field, std::string detail) {
  ServiceError error(ErrorKind::kUnprocessable, std::string(problem::kInvalidField),
                     "Invalid field", std::move(detail));
  error.WithField(field);
  return error;
}

// Verifying against a fixed hash when the email is unknown makes a failed login take as long
// either way, so response times do not tell which emails have accounts.
const std::string& DummyHash() {
  static const std::string hash = storage::PasswordHash::Hash("mgw-no-such-account");
  return hash;
}

}  // namespace

std::string AccountService::EmailProblem(std::string_view email) {
  if (email.empty()) return "the email is empty";
  if (email.size() > 254) return "the email is longer than 254 characters";
  size_t at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
    return "the email needs exactly one @";
  }
  std::string_view local = email.substr(0, at);
  std::string_view domain = email.substr(at + 1);
  if (local.empty() || local.size() > 64) return "the part before @ must be 1 to 64 characters";
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return "the domain after @ must be a dotted name such as example.com";
  }
  for (char c : email) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' ||
        c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\') {
      return "the email holds a character addresses cannot (spaces, quotes, brackets, non-ASCII)";
    }
  }
  return {};
}

storage::Account AccountService::SignUp(const SignUpRequest& request, const Caller* creator) {
  const std::string email = storage::AccountStore::NormalizeEmail(request.email);
  if (std::string why = EmailProblem(email); !why.empty()) throw InvalidField("email", why);
  if (request.password.size() < options_.min_password_length ||
      request.password.size() > options_.max_password_length) {
    throw InvalidField("password",
                       fmt::format("the password must be {} to {} characters",
                                   options_.min_password_length, options_.max_password_length));
  }
  if (request.role == storage::Role::kAdmin && (creator == nullptr || !creator->IsAdmin())) {
    throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                       "only an administrator may create an administrator");
  }
  // A cheap pre-check spares the argon2id hash for the common case; the UNIQUE constraint
  // still decides races.
  auto taken = [&] {
    return ServiceError(ErrorKind::kConflict, std::string(problem::kEmailTaken),
                        "Email already registered", "an account with this email exists");
  };
  if (accounts_.FindByEmail(email)) throw taken();
  try {
    return accounts_.Create({.email = email,
                             .password_hash = storage::PasswordHash::Hash(request.password),
                             .role = request.role});
  } catch (const storage::StorageError& e) {
    if (e.kind() == storage::StorageErrorKind::kUniqueViolation) throw taken();
    throw;
  }
}

LoginResult AccountService::Login(const LoginRequest& request) {
  const std::string email = storage::AccountStore::NormalizeEmail(request.email);
  std::chrono::seconds lifetime = options_.default_token_lifetime;
  if (request.expires_in_seconds) {
    lifetime = std::chrono::seconds(*request.expires_in_seconds);
    if (lifetime < options_.min_token_lifetime || lifetime > options_.max_token_lifetime) {
      throw InvalidField("expires_in", fmt::format("expires_in must be {} to {} seconds",
                                                   options_.min_token_lifetime.count(),
                                                   options_.max_token_lifetime.count()));
    }
  }
  limiter_.Check(email, request.source_address);
  std::optional<storage::Account> account = accounts_.FindByEmail(email);
  const bool ok = storage::PasswordHash::Verify(account ? account->password_hash : DummyHash(),
                                                request.password) &&
                  account.has_value();
  if (!ok) {
    limiter_.RecordFailure(email, request.source_address);
    throw ServiceError(ErrorKind::kUnauthenticated, std::string(problem::kInvalidCredentials),
                       "Invalid credentials", "unknown email or wrong password");
  }
  limiter_.RecordSuccess(email);
  std::string token = storage::GenerateToken();
  storage::AccessToken record =
      accounts_.CreateToken({.account_id = account->id,
                             .token_hash = storage::HashToken(token),
                             .expires_at = accounts_.clock().Now() + lifetime});
  return LoginResult{std::move(token), std::move(record)};
}

storage::Account AccountService::Me(const Caller& caller) {
  RequireScope(caller, storage::ApiKeyScope::kRead);
  std::optional<storage::Account> account = accounts_.FindById(caller.account_id);
  if (!account) {
    throw ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                       "the account no longer exists");
  }
  return *account;
}

Page<storage::AccessToken> AccountService::ListTokens(const Caller& caller,
                                                      const PageRequest& page) {
  RequireScope(caller, storage::ApiKeyScope::kRead);
  return {tokens_.ListActive(caller.account_id, page.limit, page.offset),
          tokens_.CountActive(caller.account_id), page.limit, page.offset};
}

void AccountService::RevokeToken(const Caller& caller, std::int64_t token_id) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (!tokens_.Revoke(caller.account_id, token_id)) {
    throw ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                       fmt::format("you have no active token {}", token_id));
  }
}

void AccountService::DeleteAccount(const Caller& caller) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (caller.role == storage::Role::kAdmin && accounts_.CountAdmins() <= 1) {
    throw ServiceError(ErrorKind::kConflict, std::string(problem::kLastAdmin), "Last administrator",
                       "the last administrator cannot delete its account; create another first");
  }
  try {
    accounts_.Delete(caller.account_id);
  } catch (const storage::StorageError& e) {
    if (e.kind() != storage::StorageErrorKind::kNotFound) throw;
    throw ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                       "the account no longer exists");
  }
}

}  // namespace mgw::service
