#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace mgw::storage {

// What went wrong, coarse enough for a service to pick an HTTP status from it.
enum class StorageErrorKind {
  kUniqueViolation,      // a UNIQUE or PRIMARY KEY constraint (SQLite CONSTRAINT_UNIQUE, SQLSTATE
                         // 23505): usually 409 Conflict
  kConstraintViolation,  // any other constraint: foreign key, CHECK, NOT NULL: usually 422
  kNotFound,             // the row a mutation names does not exist: usually 404
  kConflict,         // serialization failure, deadlock, lock timeout, lost job lease: retry, or 409
  kUnavailable,      // cannot connect, connection lost, pool exhausted: usually 503
  kInvalidArgument,  // misuse of the API: wrong parameter count, several statements, bad URL
  kInternal,         // anything else the database reported (syntax errors, I/O)
};

std::string_view ToString(StorageErrorKind kind);

// The only exception type the storage layer throws (besides std::bad_alloc).
class StorageError : public std::runtime_error {
 public:
  StorageError(StorageErrorKind kind, const std::string& message);

  StorageErrorKind kind() const { return kind_; }

 private:
  StorageErrorKind kind_;
};

}  // namespace mgw::storage
