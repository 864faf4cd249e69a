#include "mgw/service/api_key_service.h"

#include <fmt/format.h>

#include "mgw/service/service_error.h"
#include "mgw/storage/secret_token.h"

namespace mgw::service {
namespace {

ServiceError NotFound(std::string detail) {
  return ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                      std::move(detail));
}

ServiceError InvalidField(const char* field, std::string detail) {
  ServiceError error(ErrorKind::kUnprocessable, std::string(problem::kInvalidField),
                     "Invalid field", std::move(detail));
  error.WithField(field);
  return error;
}

}  // namespace

std::int64_t ApiKeyService::TargetAccount(const Caller& caller,
                                          std::optional<std::int64_t> account_id) {
  if (!account_id || *account_id == caller.account_id) return caller.account_id;
  RequireAdmin(caller, "manage another account's API keys");
  if (!accounts_.FindById(*account_id)) {
    throw NotFound(fmt::format("no account {}", *account_id));
  }
  return *account_id;
}

CreatedApiKey ApiKeyService::Create(const Caller& caller, const CreateApiKeyRequest& request) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (request.name.empty() || request.name.size() > 100) {
    throw InvalidField("name", "the name must be 1 to 100 characters");
  }
  constexpr std::int64_t kMaxLifetime = 10LL * 365 * 24 * 3600;
  if (request.expires_in_seconds &&
      (*request.expires_in_seconds < 60 || *request.expires_in_seconds > kMaxLifetime)) {
    throw InvalidField("expires_in",
                       fmt::format("expires_in must be 60 to {} seconds", kMaxLifetime));
  }
  const std::int64_t account_id = TargetAccount(caller, request.account_id);
  // No escalation: a key never carries more than its creator holds.
  RequireScope(caller, request.scope);
  if (request.scope == storage::ApiKeyScope::kAdmin) {
    std::optional<storage::Account> owner = accounts_.FindById(account_id);
    if (!owner || owner->role != storage::Role::kAdmin) {
      throw InvalidField("scope", "the admin scope is only for administrator accounts");
    }
  }
  std::string key = storage::GenerateToken();
  storage::NewApiKey record{.account_id = account_id,
                            .name = request.name,
                            .key_hash = storage::HashToken(key),
                            .scope = request.scope,
                            .expires_at = std::nullopt};
  if (request.expires_in_seconds) {
    record.expires_at = accounts_.clock().Now() + std::chrono::seconds(*request.expires_in_seconds);
  }
  return CreatedApiKey{std::move(key), accounts_.CreateApiKey(record)};
}

Page<storage::ApiKey> ApiKeyService::List(const Caller& caller,
                                          std::optional<std::int64_t> account_id,
                                          const PageRequest& page) {
  RequireScope(caller, storage::ApiKeyScope::kRead);
  const std::int64_t target = TargetAccount(caller, account_id);
  return {keys_.ListActive(target, page.limit, page.offset), keys_.CountActive(target), page.limit,
          page.offset};
}

void ApiKeyService::Revoke(const Caller& caller, std::int64_t key_id) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  std::optional<storage::ApiKey> key = keys_.Find(key_id);
  // Someone else's key reads as absent to a non-administrator: ids reveal nothing.
  if (!key || key->revoked_at || (key->account_id != caller.account_id && !caller.IsAdmin())) {
    throw NotFound(fmt::format("no active API key {}", key_id));
  }
  if (!accounts_.RevokeApiKey(key_id)) throw NotFound(fmt::format("no active API key {}", key_id));
}

}  // namespace mgw::service
