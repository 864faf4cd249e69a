#include "idempotency_guard.h"

#include <boost/json.hpp>
#include <variant>

#include "mgw/storage/secret_token.h"
#include "problem_response.h"

namespace mgw::controlplane {
namespace {

// The headers a replay must repeat; the rest (X-Request-Id, Server) belong to each response.
std::string HeadersToStore(const http::Response& response) {
  boost::json::object headers{{"content-type", response.content_type}};
  for (const auto& [name, value] : response.headers) {
    if (name == "location") headers[name] = value;
  }
  return boost::json::serialize(headers);
}

http::Response Replay(const storage::StoredResponse& stored) {
  http::Response response{stored.status, "application/json", {}, stored.body};
  boost::system::error_code ec;
  boost::json::value headers = boost::json::parse(stored.headers, ec);
  if (!ec && headers.is_object()) {
    for (const auto& [name, value] : headers.as_object()) {
      if (!value.is_string()) continue;
      if (name == "content-type") {
        response.content_type = std::string(value.as_string());
      } else {
        response.headers.emplace_back(std::string(name), std::string(value.as_string()));
      }
    }
  }
  response.headers.emplace_back("idempotent-replayed", "true");
  return response;
}

bool ValidKey(std::string_view key) {
  if (key.empty() || key.size() > IdempotencyGuard::kMaxKeyLength) return false;
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

}  // namespace

http::Response IdempotencyGuard::Run(std::int64_t account_id, std::string_view key,
                                     const http::Request& request,
                                     const std::function<http::Response()>& handler) const {
  if (!ValidKey(key)) {
    return ProblemResponse(400, "/problems/invalid-idempotency-key", "Invalid Idempotency-Key",
                           "the key must be 1 to 255 visible ASCII characters");
  }
  storage::IdempotencyRequest claim{.account_id = account_id,
                                    .key = std::string(key),
                                    .method = request.method,
                                    .path = request.path,
                                    .request_hash = storage::HashToken(request.body)};
  auto outcome = store_.Claim(claim, kStaleAfter, kExpireAfter);
  if (auto* record = std::get_if<storage::IdempotencyRecord>(&outcome)) {
    if (record->method != claim.method || record->path != claim.path ||
        record->request_hash != claim.request_hash) {
      return ProblemResponse(422, "/problems/idempotency-key-reused", "Idempotency-Key reused",
                             "this key was first used for another request; use a new key");
    }
    if (!record->response) {
      http::Response busy =
          ProblemResponse(409, "/problems/idempotency-in-progress", "Request in progress",
                          "the first request with this key has not finished yet");
      busy.headers.emplace_back("retry-after", "1");
      return busy;
    }
    return Replay(*record->response);
  }
  http::Response response;
  try {
    response = handler();
  } catch (...) {
    store_.Release(account_id, key);
    throw;
  }
  if (response.status >= 500) {
    store_.Release(account_id, key);
  } else {
    store_.Complete(
        account_id, key,
        {.status = response.status, .headers = HeadersToStore(response), .body = response.body});
  }
  return response;
}

}  // namespace mgw::controlplane
