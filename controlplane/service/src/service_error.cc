#include "mgw/service/service_error.h"

#include <utility>

namespace mgw::service {

int HttpStatusOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest:
      return 400;
    case ErrorKind::kUnauthenticated:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kUnprocessable:
      return 422;
    case ErrorKind::kRateLimited:
      return 429;
    case ErrorKind::kUnavailable:
      return 503;
  }
  return 500;
}

ServiceError::ServiceError(ErrorKind kind, std::string type, std::string title, std::string detail)
    : std::runtime_error(detail.empty() ? title : title + ": " + detail),
      kind_(kind),
      type_(std::move(type)),
      title_(std::move(title)),
      detail_(std::move(detail)) {}

ServiceError& ServiceError::WithField(std::string field) {
  field_ = std::move(field);
  return *this;
}

ServiceError& ServiceError::WithRetryAfter(std::int64_t seconds) {
  retry_after_seconds_ = seconds;
  return *this;
}

}  // namespace mgw::service
