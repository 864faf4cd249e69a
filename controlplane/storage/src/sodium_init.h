#pragma once

namespace mgw::storage {

// sodium_init() once per process; throws std::runtime_error when libsodium cannot start.
void EnsureSodiumInitialized();

}  // namespace mgw::storage
