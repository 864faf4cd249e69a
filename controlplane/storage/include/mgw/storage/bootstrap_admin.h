#pragma once

#include <optional>
#include <string>

#include "mgw/storage/account_store.h"

namespace mgw::storage {

inline constexpr const char* kDefaultBootstrapAdminEmail = "admin";

enum class BootstrapOutcome {
  kAdminExists,                   // nothing done
  kCreatedWithGivenPassword,      // created from the configured password
  kCreatedWithGeneratedPassword,  // created with a random password, returned once
};

struct BootstrapResult {
  BootstrapOutcome outcome = BootstrapOutcome::kAdminExists;
  std::optional<Account> admin;  // the created account
  // Only for kCreatedWithGeneratedPassword: the daemon prints it once; only its hash is stored.
  std::optional<std::string> generated_password;
};

// Makes sure an administrator exists. When none does, creates `email` (default
// kDefaultBootstrapAdminEmail) with `password`, or with a random one when none is given. When one
// exists, does nothing, so it is safe on every start-up and when two processes start at once.
// Throws StorageError(kInvalidArgument) for an empty password, and kUniqueViolation when no admin
// exists but `email` belongs to a non-admin account.
BootstrapResult EnsureBootstrapAdmin(AccountStore& accounts,
                                     const std::optional<std::string>& email,
                                     std::optional<std::string> password);

}  // namespace mgw::storage
