#pragma once

#include <optional>
#include <string_view>

#include "mgw/service/caller.h"
#include "mgw/storage/account_store.h"

namespace mgw::service {

// Turns a bearer credential into a Caller. The credential is a user's token from login or an API
// key; both are looked up by their SHA-256, never stored or compared in the clear. Stateless
// apart from the store; thread-safe.
class Authenticator {
 public:
  explicit Authenticator(storage::AccountStore& accounts) : accounts_(accounts) {}

  // `authorization` is the Authorization header's value, if any. Throws ServiceError
  // (kUnauthenticated): /problems/unauthenticated without credentials or with another scheme,
  // /problems/invalid-token for an unknown, expired or revoked one.
  Caller Authenticate(std::optional<std::string_view> authorization);

 private:
  storage::AccountStore& accounts_;
};

}  // namespace mgw::service
