#include "mgw/storage/idempotency_store.h"

namespace mgw::storage {

std::variant<IdempotencyClaimed, IdempotencyRecord> IdempotencyStore::Claim(
    const IdempotencyRequest& request, std::chrono::milliseconds stale_after,
    std::chrono::milliseconds expire_after) {
  // Two rounds at most: the second follows dropping a stale or expired record.
  for (int round = 0; round < 2; ++round) {
    const TimePoint now = clock_.Now();
    if (db_.Execute("INSERT INTO idempotency_keys (account_id, idempotency_key, method, path, "
                    "request_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    {request.account_id, request.key, request.method, request.path,
                     request.request_hash, ToUnixMillis(now)}) > 0) {
      return IdempotencyClaimed{};
    }
    std::optional<Row> row = db_.QueryOne(
        "SELECT method, path, request_hash, response_status, response_headers, response_body, "
        "created_at FROM idempotency_keys WHERE account_id = ? AND idempotency_key = ?",
        {request.account_id, request.key});
    if (!row) continue;  // dropped between the two statements: claim again
    IdempotencyRecord record{.method = row->GetString(0),
                             .path = row->GetString(1),
                             .request_hash = row->GetOptionalString(2).value_or(""),
                             .response = std::nullopt,
                             .created_at = FromUnixMillis(row->GetInt64(6))};
    if (!row->IsNull(3)) {
      record.response = StoredResponse{.status = static_cast<int>(row->GetInt64(3)),
                                       .headers = row->GetOptionalString(4).value_or("{}"),
                                       .body = row->GetOptionalString(5).value_or("")};
    }
    const bool stale = !record.response && now - record.created_at > stale_after;
    const bool expired = now - record.created_at > expire_after;
    if (round == 0 && (stale || expired)) {
      // Conditional on created_at, so two control planes dropping it at once drop it once.
      db_.Execute(
          "DELETE FROM idempotency_keys WHERE account_id = ? AND idempotency_key = ? AND "
          "created_at = ?",
          {request.account_id, request.key, ToUnixMillis(record.created_at)});
      continue;
    }
    return record;
  }
  return IdempotencyRecord{.method = request.method,
                           .path = request.path,
                           .request_hash = request.request_hash,
                           .response = std::nullopt,
                           .created_at = clock_.Now()};
}

void IdempotencyStore::Complete(std::int64_t account_id, std::string_view key,
                                const StoredResponse& response) {
  db_.Execute(
      "UPDATE idempotency_keys SET response_status = ?, response_headers = ?, response_body = ? "
      "WHERE account_id = ? AND idempotency_key = ?",
      {response.status, response.headers, response.body, account_id, key});
}

void IdempotencyStore::Release(std::int64_t account_id, std::string_view key) {
  db_.Execute("DELETE FROM idempotency_keys WHERE account_id = ? AND idempotency_key = ?",
              {account_id, key});
}

}  // namespace mgw::storage
