#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "mgw/storage/clock.h"
#include "mgw/storage/login_failure_store.h"

namespace mgw::service {

struct LoginRateLimits {
  std::int64_t max_failures_per_account = 5;   // per attempted email, within the window
  std::int64_t max_failures_per_address = 20;  // per source address, within the window
  std::chrono::seconds window{15 * 60};
};

// Slows password guessing: after too many failed logins for one email, or from one address,
// within a sliding window, further attempts are refused (ServiceError kRateLimited with the
// seconds until the oldest counted failure leaves the window) without checking the password.
// Failures live in the database (LoginFailureStore), so every control plane sharing it counts
// the same ones. Thread-safe.
class LoginRateLimiter {
 public:
  LoginRateLimiter(storage::LoginFailureStore& failures, const storage::Clock& clock,
                   LoginRateLimits limits = {})
      : failures_(failures), clock_(clock), limits_(limits) {}

  // Throws when either limit is reached.
  void Check(std::string_view email, std::string_view source_address);
  void RecordFailure(std::string_view email, std::string_view source_address);
  void RecordSuccess(std::string_view email);

 private:
  storage::LoginFailureStore& failures_;
  const storage::Clock& clock_;
  LoginRateLimits limits_;
};

}  // namespace mgw::service
