#include "mgw/service/caller.h"

#include <fmt/format.h>

#include "mgw/service/service_error.h"

namespace mgw::service {
namespace {

int Rank(storage::ApiKeyScope scope) {
  switch (scope) {
    case storage::ApiKeyScope::kRead:
      return 0;
    case storage::ApiKeyScope::kWrite:
      return 1;
    case storage::ApiKeyScope::kAdmin:
      return 2;
  }
  return 0;
}

}  // namespace

bool ScopeCovers(storage::ApiKeyScope held, storage::ApiKeyScope needed) {
  return Rank(held) >= Rank(needed);
}

void RequireScope(const Caller& caller, storage::ApiKeyScope needed) {
  if (!ScopeCovers(caller.scope, needed)) {
    throw ServiceError(ErrorKind::kForbidden, std::string(problem::kInsufficientScope),
                       "Insufficient scope",
                       fmt::format("this needs the {} scope; the credential has {}",
                                   storage::ToString(needed), storage::ToString(caller.scope)));
  }
}

void RequireAdmin(const Caller& caller, const char* what) {
  RequireScope(caller, storage::ApiKeyScope::kAdmin);
  if (caller.role != storage::Role::kAdmin) {
    throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                       fmt::format("only administrators may {}", what));
  }
}

}  // namespace mgw::service
