#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mgw::storage {

// `num_bytes` from libsodium's CSPRNG (randombytes_buf), base64url without padding. 32 bytes
// (the default) give a 43-character bearer token or API key.
std::string GenerateToken(std::size_t num_bytes = 32);

// The lower-case hex SHA-256 (crypto_hash_sha256) of a token: what the database stores and is
// searched by, so a leaked table yields no usable token.
std::string HashToken(std::string_view token);

}  // namespace mgw::storage
