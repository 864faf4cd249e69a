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
  if (cache_ == nullptr || !cache_->enabled()) return Lookup(hash, now);
  if (std::optional<CachedCredential> hit = cache_->Find(hash)) {
    if (!hit->expires_at || now < *hit->expires_at) return std::move(hit->caller);
    // Expired since it was cached: the database says so, with the reason.
  }
  // Taken before the read: a revocation committed meanwhile keeps what was read out.
  const auto ticket = cache_->TicketFor(hash);
  std::optional<storage::TimePoint> expires_at;
  Caller caller = Lookup(hash, now, &expires_at);
  cache_->Insert(hash, CachedCredential{caller, expires_at}, ticket);
  return caller;
}

Caller Authenticator::Lookup(const std::string& hash, storage::TimePoint now,
                             std::optional<storage::TimePoint>* expires_at) {
  // One query for the token and its account (a token outlives no account: deleting an account
  // deletes its tokens).
  if (auto found = accounts_.FindTokenWithAccountByHash(hash)) {
    const auto& [token, account] = *found;
    if (token.revoked_at) throw InvalidToken("the token was revoked");
    if (now >= token.expires_at) throw InvalidToken("the token has expired");
    if (expires_at != nullptr) *expires_at = token.expires_at;
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
    if (expires_at != nullptr) *expires_at = key->expires_at;
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
