#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mgw::storage {

// One SQL parameter or result cell: NULL, a 64-bit integer, a double or text. Booleans are stored
// as integers 0/1 (columns are INTEGER in both dialects); times as Unix milliseconds.
class Value {
 public:
  using Variant = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

  Value() : v_(nullptr) {}
  Value(std::nullptr_t) : v_(nullptr) {}
  Value(std::nullopt_t) : v_(nullptr) {}
  template <std::integral T>
  Value(T v) : v_(static_cast<std::int64_t>(v)) {}
  Value(double v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  template <typename T>
  Value(const std::optional<T>& v) : Value() {
    if (v) *this = Value(*v);
  }

  bool is_null() const { return std::holds_alternative<std::nullptr_t>(v_); }
  const Variant& variant() const { return v_; }

  // Conversions throw StorageError(kInternal) when the value does not fit the asked type; text
  // holding a number converts, as does an integral double.
  std::int64_t AsInt64() const;
  double AsDouble() const;
  bool AsBool() const;
  std::string AsString() const;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  Variant v_;
};

using Params = std::vector<Value>;

}  // namespace mgw::storage
