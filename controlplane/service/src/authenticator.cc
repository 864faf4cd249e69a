#include "mgw/service/authenticator.h"

#include <boost/beast/core/string.hpp>

#include "mgw/service/service_error.h"
#include "mgw/storage/secret_token.h"

namespace mgw::service {
namespace {

ServiceError InvalidToken(const char* detail) {
  return ServiceError(ErrorKind::kUnauthenticated, std::string(problem::kInvalidToken),
                      "Invalid bearer token", detail);
}

}  // namespace

Caller Authenticator::Authenticate(std::optional<std::string_view> authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (!authorization || authorization->size() <= kScheme.size() ||
      !boost::beast::iequals(authorization->substr(0, kScheme.size()), kScheme)) {
    throw ServiceError(ErrorKind::kUnauthenticated, std::string(problem::kUnauthenticated),
                       "Authentication required", "send Authorization: Bearer <token or API key>");
  }
  std::string_view credential = authorization->substr(kScheme.size());
  while (!credential.empty() && credential.front() == ' ') credential.remove_prefix(1);
  while (!credential.empty() && credential.back() == ' ') credential.remove_suffix(1);
  const std::string hash = storage::HashToken(credential);
  const storage::TimePoint now = accounts_.clock().Now();

  // One query for the token and its account (a token outlives no account: deleting an account
  // deletes its tokens).
  if (auto found = accounts_.FindTokenWithAccountByHash(hash)) {
    const auto& [token, account] = *found;
    if (token.revoked_at) throw InvalidToken("the token was revoked");
    if (now >= token.expires_at) throw InvalidToken("the token has expired");
    return Caller{.account_id = account.id,
                  .email = account.email,
                  .role = account.role,
                  .scope = storage::ApiKeyScope::kAdmin,  // a user's token: all the role allows
                  .token_id = token.id,
                  .api_key_id = std::nullopt};
  }
  if (std::optional<storage::ApiKey> key = accounts_.FindActiveApiKeyByHash(hash)) {
    std::optional<storage::Account> account = accounts_.FindById(key->account_id);
    if (!account) throw InvalidToken("the key's account no longer exists");
    return Caller{.account_id = account->id,
                  .email = account->email,
                  .role = account->role,
                  .scope = key->scope,
                  .token_id = std::nullopt,
                  .api_key_id = key->id};
  }
  throw InvalidToken("unknown, expired or revoked credential");
}

}  // namespace mgw::service
