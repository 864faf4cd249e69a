#include "mgw/storage/bootstrap_admin.h"

#include "mgw/storage/password_hash.h"
#include "mgw/storage/secret_token.h"
#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

// 18 random bytes: a 24-character base64url password, 144 bits.
constexpr std::size_t kGeneratedPasswordBytes = 18;

}  // namespace

BootstrapResult EnsureBootstrapAdmin(AccountStore& accounts,
                                     const std::optional<std::string>& email,
                                     std::optional<std::string> password) {
  if (accounts.CountAdmins() > 0) return BootstrapResult{};
  if (password && password->empty()) {
    throw StorageError(StorageErrorKind::kInvalidArgument, "bootstrap admin password is empty");
  }

  BootstrapResult result;
  if (!password) {
    password = GenerateToken(kGeneratedPasswordBytes);
    result.outcome = BootstrapOutcome::kCreatedWithGeneratedPassword;
    result.generated_password = password;
  } else {
    result.outcome = BootstrapOutcome::kCreatedWithGivenPassword;
  }
  try {
    result.admin = accounts.Create(NewAccount{.email = email.value_or(kDefaultBootstrapAdminEmail),
                                              .password_hash = PasswordHash::Hash(*password),
                                              .role = Role::kAdmin});
  } catch (const StorageError& e) {
    // Another process bootstrapping at the same moment won the race for the same email.
    if (e.kind() == StorageErrorKind::kUniqueViolation && accounts.CountAdmins() > 0) {
      return BootstrapResult{};
    }
    throw;
  }
  return result;
}

}  // namespace mgw::storage
