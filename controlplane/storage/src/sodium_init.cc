#include "sodium_init.h"

#include <sodium.h>

#include <stdexcept>

namespace mgw::storage {

void EnsureSodiumInitialized() {
  static const bool ready = sodium_init() >= 0;  // thread-safe, idempotent
  if (!ready) throw std::runtime_error("libsodium failed to initialize");
}

}  // namespace mgw::storage
