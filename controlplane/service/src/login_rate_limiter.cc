#include "mgw/service/login_rate_limiter.h"

#include <algorithm>

#include "mgw/service/service_error.h"

namespace mgw::service {

void LoginRateLimiter::Check(std::string_view email, std::string_view source_address) {
  const storage::TimePoint now = clock_.Now();
  const storage::TimePoint since = now - limits_.window;
  auto refuse_if = [&](const storage::LoginFailureStore::Window& window, std::int64_t max,
                       const char* per) {
    if (window.count < max || !window.oldest) return;
    auto wait = std::chrono::ceil<std::chrono::seconds>(*window.oldest + limits_.window - now);
    throw ServiceError(ErrorKind::kRateLimited, std::string(problem::kRateLimited),
                       "Too many failed logins",
                       std::string("too many failed logins for this ") + per + "; retry later")
        .WithRetryAfter(std::max<std::int64_t>(1, wait.count()));
  };
  refuse_if(failures_.ForEmail(email, since), limits_.max_failures_per_account, "account");
  refuse_if(failures_.ForAddress(source_address, since), limits_.max_failures_per_address,
            "address");
}

void LoginRateLimiter::RecordFailure(std::string_view email, std::string_view source_address) {
  failures_.Record(email, source_address, clock_.Now() - limits_.window);
}

void LoginRateLimiter::RecordSuccess(std::string_view email) { failures_.ClearEmail(email); }

}  // namespace mgw::service
