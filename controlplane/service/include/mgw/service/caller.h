#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mgw/storage/account_store.h"

namespace mgw::service {

// Who is calling, as the authenticator established it. A user's bearer token carries every
// scope; an API key only its own. What a caller may do is the lesser of its role and its scope.
struct Caller {
  std::int64_t account_id = 0;
  std::string email;
  storage::Role role = storage::Role::kUser;
  storage::ApiKeyScope scope = storage::ApiKeyScope::kRead;
  std::optional<std::int64_t> token_id;    // when authenticated by a bearer token
  std::optional<std::int64_t> api_key_id;  // when authenticated by an API key

  bool IsAdmin() const {
    return role == storage::Role::kAdmin && scope == storage::ApiKeyScope::kAdmin;
  }
};

// read < write < admin.
bool ScopeCovers(storage::ApiKeyScope held, storage::ApiKeyScope needed);

// Throw ServiceError(kForbidden) with /problems/insufficient-scope or /problems/forbidden.
void RequireScope(const Caller& caller, storage::ApiKeyScope needed);
void RequireAdmin(const Caller& caller, const char* what);

}  // namespace mgw::service
