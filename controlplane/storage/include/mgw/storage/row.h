#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mgw/storage/value.h"

namespace mgw::storage {

// One result row. Columns are addressed by position (as written in the SELECT list); the names are
// kept for messages and debugging. Getters throw StorageError(kInternal) on a NULL where a value is
// required, on a type that does not convert, and on a position out of range.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> column_names, std::vector<Value> values);

  std::size_t size() const { return values_.size(); }
  const Value& at(std::size_t column) const;
  const std::string& column_name(std::size_t column) const;

  bool IsNull(std::size_t column) const { return at(column).is_null(); }
  std::int64_t GetInt64(std::size_t column) const;
  double GetDouble(std::size_t column) const;
  bool GetBool(std::size_t column) const;
  std::string GetString(std::size_t column) const;
  std::optional<std::int64_t> GetOptionalInt64(std::size_t column) const;
  std::optional<std::string> GetOptionalString(std::size_t column) const;

 private:
  std::shared_ptr<const std::vector<std::string>> column_names_;
  std::vector<Value> values_;
};

}  // namespace mgw::storage
