// AccountStore against both backends: accounts, bearer tokens (with an injected clock), API keys.

#include <gtest/gtest.h>

#include "mgw/storage/account_store.h"
#include "mgw/storage/secret_token.h"
#include "mgw/storage/storage_error.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class AccountStoreTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    if (IsSkipped()) return;
    ApplyMigrations();
    store_.emplace(db(), clock_);
  }

  Account CreateUser(const std::string& email, Role role = Role::kUser) {
    return store_->Create({.email = email, .password_hash = "$argon2id$fake", .role = role});
  }

  std::optional<AccountStore> store_;
};

TEST_P(AccountStoreTest, CreatesAndFindsAccounts) {
  const Account created = CreateUser("  Alice@Example.COM ", Role::kAdmin);
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.email, "alice@example.com");
  EXPECT_EQ(created.role, Role::kAdmin);
  EXPECT_EQ(created.created_at, clock_.Now());

  std::optional<Account> by_id = store_->FindById(created.id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->email, "alice@example.com");
  EXPECT_EQ(by_id->password_hash, "$argon2id$fake");
  std::optional<Account> by_email = store_->FindByEmail("ALICE@example.com");
  ASSERT_TRUE(by_email);
  EXPECT_EQ(by_email->id, created.id);
  EXPECT_FALSE(store_->FindByEmail("bob@example.com"));
  EXPECT_FALSE(store_->FindById(created.id + 1000));
}

TEST_P(AccountStoreTest, DuplicateEmailIsAUniqueViolation) {
  CreateUser("alice@example.com");
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(CreateUser("ALICE@example.com")),
            StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(CreateUser("  ")), StorageErrorKind::kInvalidArgument);
}

TEST_P(AccountStoreTest, ListsInPages) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(CreateUser("u" + std::to_string(i) + "@x.org").id);
  std::vector<Account> first = store_->List({.limit = 2});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, ids[0]);
  std::vector<Account> rest = store_->List({.limit = 10, .after_id = first.back().id});
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest.back().id, ids.back());
}

TEST_P(AccountStoreTest, CountsAdmins) {
  EXPECT_EQ(store_->CountAdmins(), 0);
  CreateUser("a@x.org", Role::kAdmin);
  CreateUser("b@x.org", Role::kUser);
  CreateUser("c@x.org", Role::kAdmin);
  EXPECT_EQ(store_->CountAdmins(), 2);
}

TEST_P(AccountStoreTest, DeleteRemovesTheAccountWithItsTokensAndKeys) {
  const Account account = CreateUser("a@x.org");
  const std::string token_hash = HashToken(GenerateToken());
  store_->CreateToken(
      {.account_id = account.id, .token_hash = token_hash, .expires_at = clock_.Now() + hours(1)});
  store_->CreateApiKey({.account_id = account.id, .name = "ci", .key_hash = HashToken("k")});
  store_->Delete(account.id);
  EXPECT_FALSE(store_->FindById(account.id));
  EXPECT_FALSE(store_->FindTokenByHash(token_hash));
  EXPECT_TRUE(store_->ListApiKeys(account.id).empty());
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(store_->Delete(account.id)), StorageErrorKind::kNotFound);
}

TEST_P(AccountStoreTest, TokensExpireByTheInjectedClock) {
  const Account account = CreateUser("a@x.org");
  const std::string token = GenerateToken();
  const AccessToken created = store_->CreateToken({.account_id = account.id,
                                                   .token_hash = HashToken(token),
                                                   .expires_at = clock_.Now() + hours(1)});
  EXPECT_EQ(created.created_at, clock_.Now());
  EXPECT_FALSE(created.revoked_at);

  std::optional<AccessToken> found = store_->FindActiveTokenByHash(HashToken(token));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->account_id, account.id);
  EXPECT_EQ(found->expires_at, clock_.Now() + hours(1));

  clock_.Advance(minutes(59));
  EXPECT_TRUE(store_->FindActiveTokenByHash(HashToken(token)));
  clock_.Advance(minutes(1));  // expiry is exclusive
  EXPECT_FALSE(store_->FindActiveTokenByHash(HashToken(token)));
  EXPECT_TRUE(store_->FindTokenByHash(HashToken(token)));  // still there, just expired
  EXPECT_FALSE(store_->FindActiveTokenByHash(HashToken("never issued")));

  // With its account, in one query (expired or not: the caller decides).
  auto with_account = store_->FindTokenWithAccountByHash(HashToken(token));
  ASSERT_TRUE(with_account);
  EXPECT_EQ(with_account->first.id, created.id);
  EXPECT_EQ(with_account->first.expires_at, created.expires_at);
  EXPECT_EQ(with_account->second.id, account.id);
  EXPECT_EQ(with_account->second.email, account.email);
  EXPECT_EQ(with_account->second.role, account.role);
  EXPECT_FALSE(store_->FindTokenWithAccountByHash(HashToken("never issued")));
  // Deleting the account takes its tokens with it.
  store_->Delete(account.id);
  EXPECT_FALSE(store_->FindTokenWithAccountByHash(HashToken(token)));
}

TEST_P(AccountStoreTest, RevokedTokensStopWorking) {
  const Account account = CreateUser("a@x.org");
  const std::string hash = HashToken(GenerateToken());
  store_->CreateToken(
      {.account_id = account.id, .token_hash = hash, .expires_at = clock_.Now() + hours(1)});
  clock_.Advance(minutes(5));
  EXPECT_TRUE(store_->RevokeTokenByHash(hash));
  EXPECT_FALSE(store_->RevokeTokenByHash(hash));  // already revoked
  EXPECT_FALSE(store_->RevokeTokenByHash(HashToken("unknown")));
  EXPECT_FALSE(store_->FindActiveTokenByHash(hash));
  std::optional<AccessToken> revoked = store_->FindTokenByHash(hash);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->revoked_at, clock_.Now());
}

TEST_P(AccountStoreTest, RevokeAllTokensOfAnAccount) {
  const Account alice = CreateUser("alice@x.org");
  const Account bob = CreateUser("bob@x.org");
  for (const char* token : {"a1", "a2", "a3"}) {
    store_->CreateToken({.account_id = alice.id,
                         .token_hash = HashToken(token),
                         .expires_at = clock_.Now() + hours(1)});
  }
  store_->CreateToken(
      {.account_id = bob.id, .token_hash = HashToken("b1"), .expires_at = clock_.Now() + hours(1)});
  store_->RevokeTokenByHash(HashToken("a1"));
  EXPECT_EQ(store_->RevokeAllTokens(alice.id), 2);
  EXPECT_FALSE(store_->FindActiveTokenByHash(HashToken("a2")));
  EXPECT_TRUE(store_->FindActiveTokenByHash(HashToken("b1")));
}

TEST_P(AccountStoreTest, TokenErrorsAreTyped) {
  const Account account = CreateUser("a@x.org");
  const std::string hash = HashToken("t");
  store_->CreateToken(
      {.account_id = account.id, .token_hash = hash, .expires_at = clock_.Now() + hours(1)});
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(store_->CreateToken(
                {.account_id = account.id, .token_hash = hash, .expires_at = clock_.Now()})),
            StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(store_->CreateToken({.account_id = account.id + 1000,
                                                        .token_hash = HashToken("u"),
                                                        .expires_at = clock_.Now()})),
            StorageErrorKind::kConstraintViolation);
}

TEST_P(AccountStoreTest, ApiKeysCarryScopesExpiryAndRevocation) {
  const Account account = CreateUser("a@x.org");
  const ApiKey reader =
      store_->CreateApiKey({.account_id = account.id, .name = "dashboard", .key_hash = "h-read"});
  const ApiKey admin = store_->CreateApiKey({.account_id = account.id,
                                             .name = "automation",
                                             .key_hash = "h-admin",
                                             .scope = ApiKeyScope::kAdmin,
                                             .expires_at = clock_.Now() + hours(24)});
  EXPECT_EQ(reader.scope, ApiKeyScope::kRead);
  EXPECT_FALSE(reader.expires_at);

  std::optional<ApiKey> found = store_->FindActiveApiKeyByHash("h-admin");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->scope, ApiKeyScope::kAdmin);
  EXPECT_EQ(found->name, "automation");
  EXPECT_EQ(store_->ListApiKeys(account.id).size(), 2u);

  clock_.Advance(hours(24));
  EXPECT_FALSE(store_->FindActiveApiKeyByHash("h-admin"));
  EXPECT_TRUE(store_->FindActiveApiKeyByHash("h-read"));
  EXPECT_TRUE(store_->RevokeApiKey(reader.id));
  EXPECT_FALSE(store_->RevokeApiKey(reader.id));
  EXPECT_FALSE(store_->FindActiveApiKeyByHash("h-read"));
  EXPECT_EQ(admin.account_id, account.id);
}

MGW_INSTANTIATE_FOR_BACKENDS(AccountStoreTest);

}  // namespace
}  // namespace mgw::storage::testing
