#include "mgw/storage/row.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

[[noreturn]] void ThrowConversion(const Value& value, std::string_view wanted) {
  std::string shown = value.is_null() ? "NULL" : value.AsString();
  throw StorageError(StorageErrorKind::kInternal,
                     fmt::format("cannot read {} as {}", shown, wanted));
}

}  // namespace

std::int64_t Value::AsInt64() const {
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (const auto* d = std::get_if<double>(&v_)) {
    if (std::trunc(*d) == *d && std::abs(*d) < 9.2e18) return static_cast<std::int64_t>(*d);
  }
  if (const auto* s = std::get_if<std::string>(&v_)) {
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && end == s->data() + s->size()) return out;
  }
  ThrowConversion(*this, "an integer");
}

double Value::AsDouble() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v_)) {
    double out = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && end == s->data() + s->size()) return out;
  }
  ThrowConversion(*this, "a number");
}

bool Value::AsBool() const {
  if (const auto* s = std::get_if<std::string>(&v_)) {
    if (*s == "t" || *s == "true") return true;
    if (*s == "f" || *s == "false") return false;
  }
  return AsInt64() != 0;
}

std::string Value::AsString() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v_)) return fmt::format("{}", *d);
  throw StorageError(StorageErrorKind::kInternal, "cannot read NULL as text");
}

Row::Row(std::shared_ptr<const std::vector<std::string>> column_names, std::vector<Value> values)
    : column_names_(std::move(column_names)), values_(std::move(values)) {}

const Value& Row::at(std::size_t column) const {
  if (column >= values_.size()) {
    throw StorageError(StorageErrorKind::kInternal,
                       fmt::format("column {} out of range (row has {})", column, values_.size()));
  }
  return values_[column];
}

const std::string& Row::column_name(std::size_t column) const {
  at(column);
  return (*column_names_)[column];
}

std::int64_t Row::GetInt64(std::size_t column) const { return at(column).AsInt64(); }

double Row::GetDouble(std::size_t column) const { return at(column).AsDouble(); }

bool Row::GetBool(std::size_t column) const { return at(column).AsBool(); }

std::string Row::GetString(std::size_t column) const { return at(column).AsString(); }

std::optional<std::int64_t> Row::GetOptionalInt64(std::size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return GetInt64(column);
}

std::optional<std::string> Row::GetOptionalString(std::size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return GetString(column);
}

}  // namespace mgw::storage
