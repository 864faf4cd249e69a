#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mgw/service/caller.h"
#include "mgw/service/page.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/api_key_store.h"

namespace mgw::service {

struct CreateApiKeyRequest {
  std::string name;
  storage::ApiKeyScope scope = storage::ApiKeyScope::kRead;
  std::optional<std::int64_t> account_id;          // default: the caller's; others: admin only
  std::optional<std::int64_t> expires_in_seconds;  // default: until revoked
};

struct CreatedApiKey {
  std::string key;  // shown once; only its hash is stored
  storage::ApiKey record;
};

// API keys for service accounts (control systems). A key's scope never exceeds what its creator
// holds, and the admin scope needs an administrator account. Thread-safe; throws ServiceError.
class ApiKeyService {
 public:
  ApiKeyService(storage::AccountStore& accounts, storage::ApiKeyStore& keys)
      : accounts_(accounts), keys_(keys) {}

  CreatedApiKey Create(const Caller& caller, const CreateApiKeyRequest& request);
  // The active keys of `account_id` (default: the caller's; others: admin only).
  Page<storage::ApiKey> List(const Caller& caller, std::optional<std::int64_t> account_id,
                             const PageRequest& page);
  // Own keys, or anyone's for an administrator. kNotFound for an unknown or revoked key.
  void Revoke(const Caller& caller, std::int64_t key_id);

 private:
  std::int64_t TargetAccount(const Caller& caller, std::optional<std::int64_t> account_id);

  storage::AccountStore& accounts_;
  storage::ApiKeyStore& keys_;
};

}  // namespace mgw::service
