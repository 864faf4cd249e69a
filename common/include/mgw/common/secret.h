#pragma once

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace mgw {

// A value that must never reach a log line or a printed configuration: passwords, keys, tokens.
// Formatting it (fmt or iostream) prints "<redacted>"; Reveal() is the one explicit way out.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const Secret&, const Secret&) = default;

 private:
  std::string value_;
};

inline constexpr std::string_view kRedacted = "<redacted>";

inline std::ostream& operator<<(std::ostream& os, const Secret&) { return os << kRedacted; }

}  // namespace mgw

template <>
struct fmt::formatter<mgw::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const mgw::Secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(mgw::kRedacted, ctx);
  }
};
