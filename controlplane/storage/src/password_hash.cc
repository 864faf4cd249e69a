#include "mgw/storage/password_hash.h"

#include <sodium.h>

#include <stdexcept>
#include <string>

#include "sodium_init.h"

namespace mgw::storage {
namespace {

constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

}  // namespace

std::string PasswordHash::Hash(std::string_view password) {
  EnsureSodiumInitialized();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("argon2id: out of memory");
  }
  return std::string(out);
}

bool PasswordHash::Verify(std::string_view hash, std::string_view password) {
  EnsureSodiumInitialized();
  // The API wants a NUL-terminated string of at most STRBYTES - 1 characters.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHash::NeedsRehash(std::string_view hash) {
  EnsureSodiumInitialized();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
  const std::string terminated(hash);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), kOpsLimit, kMemLimit) != 0;
}

}  // namespace mgw::storage
