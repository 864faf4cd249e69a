#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include "mgw/common/http_server.h"
#include "mgw/storage/idempotency_store.h"

namespace mgw::controlplane {

// Idempotency-Key on an authenticated POST: the first request with a key runs and its response
// is stored (idempotency_keys, shared by every control plane); a repeat with the same method,
// path and body gets that response again, with `Idempotent-Replayed: true`. The same key with
// another method, path or body is 422 /problems/idempotency-key-reused; a repeat while the first
// still runs is 409 /problems/idempotency-in-progress with Retry-After. 5xx responses are not
// kept, so a retry may succeed. Keys expire after a day; a claim whose request died is dropped
// after a minute.
class IdempotencyGuard {
 public:
  explicit IdempotencyGuard(storage::IdempotencyStore& store) : store_(store) {}

  http::Response Run(std::int64_t account_id, std::string_view key, const http::Request& request,
                     const std::function<http::Response()>& handler) const;

  static constexpr std::size_t kMaxKeyLength = 255;
  static constexpr std::chrono::minutes kStaleAfter{1};
  static constexpr std::chrono::hours kExpireAfter{24};

 private:
  storage::IdempotencyStore& store_;
};

}  // namespace mgw::controlplane
