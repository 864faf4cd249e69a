#pragma once

#include <string>
#include <string_view>

namespace mgw::storage {

// Password hashing with argon2id (libsodium crypto_pwhash_str, interactive limits: 64 MiB,
// 2 passes). The encoded string carries algorithm, parameters and salt: store it as is.
class PasswordHash {
 public:
  // Throws std::runtime_error when libsodium cannot allocate the memory the hash needs.
  static std::string Hash(std::string_view password);
  // Constant-time check; false for a wrong password or a malformed hash.
  static bool Verify(std::string_view hash, std::string_view password);
  // True when `hash` was made with other parameters than Hash() uses today.
  static bool NeedsRehash(std::string_view hash);
};

}  // namespace mgw::storage
