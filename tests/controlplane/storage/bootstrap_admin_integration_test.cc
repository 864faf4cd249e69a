// EnsureBootstrapAdmin against both backends.

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "mgw/storage/bootstrap_admin.h"
#include "mgw/storage/password_hash.h"
#include "mgw/storage/storage_error.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

class BootstrapAdminTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    if (IsSkipped()) return;
    ApplyMigrations();
    accounts_.emplace(db(), clock_);
  }

  std::optional<AccountStore> accounts_;
};

TEST_P(BootstrapAdminTest, GeneratesAPasswordOnceAndStoresOnlyItsHash) {
  const BootstrapResult first = EnsureBootstrapAdmin(*accounts_, std::nullopt, std::nullopt);
  EXPECT_EQ(first.outcome, BootstrapOutcome::kCreatedWithGeneratedPassword);
  ASSERT_TRUE(first.generated_password);
  ASSERT_TRUE(first.admin);
  EXPECT_GE(first.generated_password->size(), 20u);
  EXPECT_EQ(first.admin->email, kDefaultBootstrapAdminEmail);
  EXPECT_EQ(first.admin->role, Role::kAdmin);

  const std::optional<Account> stored = accounts_->FindByEmail(kDefaultBootstrapAdminEmail);
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->password_hash, *first.generated_password);
  EXPECT_EQ(stored->password_hash.find(*first.generated_password), std::string::npos);
  EXPECT_TRUE(PasswordHash::Verify(stored->password_hash, *first.generated_password));
  EXPECT_FALSE(PasswordHash::Verify(stored->password_hash, "wrong"));

  const BootstrapResult second = EnsureBootstrapAdmin(*accounts_, std::nullopt, std::nullopt);
  EXPECT_EQ(second.outcome, BootstrapOutcome::kAdminExists);
  EXPECT_FALSE(second.generated_password);
  EXPECT_FALSE(second.admin);
  EXPECT_EQ(accounts_->CountAdmins(), 1);
  EXPECT_EQ(accounts_->FindByEmail(kDefaultBootstrapAdminEmail)->password_hash,
            stored->password_hash);
}

TEST_P(BootstrapAdminTest, UsesTheConfiguredUserAndPassword) {
  const BootstrapResult result =
      EnsureBootstrapAdmin(*accounts_, "Ops@Example.com", "correct horse battery staple");
  EXPECT_EQ(result.outcome, BootstrapOutcome::kCreatedWithGivenPassword);
  EXPECT_FALSE(result.generated_password);
  const std::optional<Account> stored = accounts_->FindByEmail("ops@example.com");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->role, Role::kAdmin);
  EXPECT_TRUE(PasswordHash::Verify(stored->password_hash, "correct horse battery staple"));
}

TEST_P(BootstrapAdminTest, LeavesAnExistingAdminAlone) {
  accounts_->Create({.email = "root@x.org", .password_hash = "h", .role = Role::kAdmin});
  const BootstrapResult result = EnsureBootstrapAdmin(*accounts_, "other@x.org", "pw");
  EXPECT_EQ(result.outcome, BootstrapOutcome::kAdminExists);
  EXPECT_FALSE(accounts_->FindByEmail("other@x.org"));
}

TEST_P(BootstrapAdminTest, RefusesBadInput) {
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(EnsureBootstrapAdmin(*accounts_, std::nullopt, "")),
            StorageErrorKind::kInvalidArgument);
  accounts_->Create({.email = "taken@x.org", .password_hash = "h", .role = Role::kUser});
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(EnsureBootstrapAdmin(*accounts_, "taken@x.org", "pw")),
            StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(accounts_->CountAdmins(), 0);
}

TEST_P(BootstrapAdminTest, TwoProcessesStartingTogetherCreateOneAdmin) {
  std::unique_ptr<Database> other = OpenAnother();
  AccountStore other_accounts(*other, clock_);
  std::latch start(2);
  BootstrapResult results[2];
  std::thread second([&] {
    start.arrive_and_wait();
    results[1] = EnsureBootstrapAdmin(other_accounts, std::nullopt, std::nullopt);
  });
  start.arrive_and_wait();
  results[0] = EnsureBootstrapAdmin(*accounts_, std::nullopt, std::nullopt);
  second.join();
  const int created = (results[0].outcome != BootstrapOutcome::kAdminExists) +
                      (results[1].outcome != BootstrapOutcome::kAdminExists);
  EXPECT_EQ(created, 1);
  EXPECT_EQ(accounts_->CountAdmins(), 1);
}

MGW_INSTANTIATE_FOR_BACKENDS(BootstrapAdminTest);

}  // namespace
}  // namespace mgw::storage::testing
