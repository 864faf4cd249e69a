#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mgw/service/caller.h"
#include "mgw/service/read_caches.h"
#include "mgw/storage/account_store.h"

namespace mgw::service {

// Turns a bearer credential into a Caller. The credential is a user's token from login or an API
// key; both are looked up by their SHA-256, never stored or compared in the clear. With a cache
// (ReadCaches::credentials) an accepted credential is kept by its hash until a write revokes it
// (token:<hash>, account:<id>) or max_age passes; its expiry is checked on every hit with the
// store's clock. Thread-safe.
class Authenticator {
 public:
  explicit Authenticator(storage::AccountStore& accounts,
                         storage::ReadCache<CachedCredential>* cache = nullptr)
      : accounts_(accounts), cache_(cache) {}

  // `authorization` is the Authorization header's value, if any. Throws ServiceError
  // (kUnauthenticated): /problems/unauthenticated without credentials or with another scheme,
  // /problems/invalid-token for an unknown, expired or revoked one.
  Caller Authenticate(std::optional<std::string_view> authorization);

 private:
  // The database's answer; `expires_at` gets the credential's expiry.
  Caller Lookup(const std::string& hash, storage::TimePoint now,
                std::optional<storage::TimePoint>* expires_at = nullptr);

  storage::AccountStore& accounts_;
  storage::ReadCache<CachedCredential>* cache_;
};

}  // namespace mgw::service
