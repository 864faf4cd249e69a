#include "mgw/storage/password_hash.h"

#include <gtest/gtest.h>

namespace mgw::storage {
namespace {

TEST(PasswordHashTest, HashesWithArgon2idAndVerifies) {
  const std::string hash = PasswordHash::Hash("hunter2");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("hunter2"), std::string::npos);
  EXPECT_TRUE(PasswordHash::Verify(hash, "hunter2"));
  EXPECT_FALSE(PasswordHash::Verify(hash, "hunter3"));
  EXPECT_FALSE(PasswordHash::Verify(hash, ""));
  EXPECT_FALSE(PasswordHash::NeedsRehash(hash));
}

TEST(PasswordHashTest, SaltsEveryHash) {
  EXPECT_NE(PasswordHash::Hash("same"), PasswordHash::Hash("same"));
}

TEST(PasswordHashTest, MalformedHashesNeverVerify) {
  EXPECT_FALSE(PasswordHash::Verify("", "x"));
  EXPECT_FALSE(PasswordHash::Verify("$argon2id$garbage", "x"));
  EXPECT_FALSE(PasswordHash::Verify(std::string(1000, 'a'), "x"));
  EXPECT_TRUE(PasswordHash::NeedsRehash("$argon2id$garbage"));
}

}  // namespace
}  // namespace mgw::storage
