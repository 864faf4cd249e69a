#include "mgw/storage/storage_error.h"

namespace mgw::storage {

std::string_view ToString(StorageErrorKind kind) {
  switch (kind) {
    case StorageErrorKind::kUniqueViolation:
      return "unique_violation";
    case StorageErrorKind::kConstraintViolation:
      return "constraint_violation";
    case StorageErrorKind::kNotFound:
      return "not_found";
    case StorageErrorKind::kConflict:
      return "conflict";
    case StorageErrorKind::kUnavailable:
      return "unavailable";
    case StorageErrorKind::kInvalidArgument:
      return "invalid_argument";
    case StorageErrorKind::kInternal:
      return "internal";
  }
  return "unknown";
}

StorageError::StorageError(StorageErrorKind kind, const std::string& message)
    : std::runtime_error(message), kind_(kind) {}

}  // namespace mgw::storage
