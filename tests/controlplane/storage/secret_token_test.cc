#include "mgw/storage/secret_token.h"

#include <gtest/gtest.h>

#include <set>

namespace mgw::storage {
namespace {

TEST(SecretTokenTest, GeneratesUnpaddedBase64Url) {
  const std::string token = GenerateToken();
  EXPECT_EQ(token.size(), 43u);  // 32 bytes
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << token;
  EXPECT_EQ(GenerateToken(18).size(), 24u);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(GenerateToken());
  EXPECT_EQ(seen.size(), 100u);
}

TEST(SecretTokenTest, HashesWithSha256Hex) {
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashToken(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace mgw::storage
