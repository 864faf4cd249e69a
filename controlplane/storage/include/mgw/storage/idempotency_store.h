#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// The first response to a request sent with an Idempotency-Key, replayed when the key comes
// again. A key is scoped to its account; it remembers the method, path and body hash of the
// request that used it first.
struct IdempotencyRequest {
  std::int64_t account_id = 0;
  std::string key;
  std::string method;
  std::string path;
  std::string request_hash;  // SHA-256 of the body
};

struct StoredResponse {
  int status = 0;
  std::string headers;  // a JSON object, written and read by the caller
  std::string body;
};

struct IdempotencyRecord {
  std::string method;
  std::string path;
  std::string request_hash;
  std::optional<StoredResponse> response;  // none: the first request is still running
  TimePoint created_at;
};

struct IdempotencyClaimed {};

// Thread-safe like the Database. Every call auto-commits, so a claim is visible to every control
// plane at once.
class IdempotencyStore {
 public:
  IdempotencyStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Claims the key for this request, or returns what is recorded under it. A record that is
  // still running after `stale_after`, or older than `expire_after`, is dropped and claimed
  // anew (its request is presumed dead, or the key has expired).
  std::variant<IdempotencyClaimed, IdempotencyRecord> Claim(const IdempotencyRequest& request,
                                                            std::chrono::milliseconds stale_after,
                                                            std::chrono::milliseconds expire_after);
  // Records the response of a claimed request.
  void Complete(std::int64_t account_id, std::string_view key, const StoredResponse& response);
  // Drops a claim (the request failed in a way a retry may fix).
  void Release(std::int64_t account_id, std::string_view key);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace mgw::storage
