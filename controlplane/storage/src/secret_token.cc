#include "mgw/storage/secret_token.h"

#include <sodium.h>

#include <vector>

#include "sodium_init.h"

namespace mgw::storage {

std::string GenerateToken(std::size_t num_bytes) {
  EnsureSodiumInitialized();
  std::vector<unsigned char> bytes(num_bytes);
  randombytes_buf(bytes.data(), bytes.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(num_bytes, kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), kVariant);
  out.resize(out.find('\0'));
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

std::string HashToken(std::string_view token) {
  EnsureSodiumInitialized();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  std::string hex(2 * sizeof digest + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
  hex.pop_back();
  return hex;
}

}  // namespace mgw::storage
