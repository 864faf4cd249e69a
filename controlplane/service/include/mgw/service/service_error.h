#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mgw::service {

// What kind of refusal a service call ends in; adapters map each to one HTTP status (or CLI exit
// status) and never need to look at the message.
enum class ErrorKind {
  kInvalidRequest,   // 400: the request cannot be read (query, JSON syntax)
  kUnauthenticated,  // 401: no credentials, or bad, expired or revoked ones
  kForbidden,        // 403: authenticated, but not allowed
  kNotFound,         // 404
  kConflict,         // 409: the resource's state forbids it (taken email, ended meeting)
  kUnprocessable,    // 422: readable, but a field is missing, of the wrong type or invalid
  kRateLimited,      // 429: retry after `retry_after_seconds`
  kUnavailable,      // 503: the database cannot be reached
};

int HttpStatusOf(ErrorKind kind);

// A refusal with a stable problem type (RFC 9457 `type`, e.g. "/problems/email-taken"): clients
// branch on the type, people read the title and detail. `field` names the offending request field
// when there is one.
class ServiceError : public std::runtime_error {
 public:
  ServiceError(ErrorKind kind, std::string type, std::string title, std::string detail = {});

  ErrorKind kind() const { return kind_; }
  const std::string& type() const { return type_; }
  const std::string& title() const { return title_; }
  const std::string& detail() const { return detail_; }
  const std::optional<std::string>& field() const { return field_; }
  std::optional<std::int64_t> retry_after_seconds() const { return retry_after_seconds_; }

  ServiceError& WithField(std::string field);
  ServiceError& WithRetryAfter(std::int64_t seconds);

 private:
  ErrorKind kind_;
  std::string type_;
  std::string title_;
  std::string detail_;
  std::optional<std::string> field_;
  std::optional<std::int64_t> retry_after_seconds_;
};

// The problem types used across services, so adapters, tests and api/openapi.yaml agree.
namespace problem {
inline constexpr std::string_view kMalformedJson = "/problems/malformed-json";
inline constexpr std::string_view kInvalidQuery = "/problems/invalid-query";
inline constexpr std::string_view kMissingField = "/problems/missing-field";
inline constexpr std::string_view kInvalidField = "/problems/invalid-field";
inline constexpr std::string_view kUnknownField = "/problems/unknown-field";
inline constexpr std::string_view kUnauthenticated = "/problems/unauthenticated";
inline constexpr std::string_view kInvalidToken = "/problems/invalid-token";
inline constexpr std::string_view kInvalidCredentials = "/problems/invalid-credentials";
inline constexpr std::string_view kInsufficientScope = "/problems/insufficient-scope";
inline constexpr std::string_view kForbidden = "/problems/forbidden";
inline constexpr std::string_view kNotFound = "/problems/not-found";
inline constexpr std::string_view kEmailTaken = "/problems/email-taken";
inline constexpr std::string_view kLastAdmin = "/problems/last-admin";
inline constexpr std::string_view kMeetingEnded = "/problems/meeting-ended";
inline constexpr std::string_view kNotParticipant = "/problems/not-participant";
inline constexpr std::string_view kRateLimited = "/problems/rate-limited";
inline constexpr std::string_view kUnavailable = "/problems/unavailable";
inline constexpr std::string_view kSubscriptionLimit = "/problems/subscription-limit";
inline constexpr std::string_view kWrongNode = "/problems/wrong-node";
}  // namespace problem

}  // namespace mgw::service
