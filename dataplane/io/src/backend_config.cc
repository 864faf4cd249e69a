#include "mgw/io/backend_config.h"

#include <charconv>

namespace mgw::io {

std::optional<BackendKind> ParseBackendKind(std::string_view name) {
  if (name == "posix") return BackendKind::kPosix;
  if (name == "uring") return BackendKind::kUring;
  if (name == "dpdk") return BackendKind::kDpdk;
  return std::nullopt;
}

std::string_view BackendKindName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kPosix:
      return "posix";
    case BackendKind::kUring:
      return "uring";
    case BackendKind::kDpdk:
      return "dpdk";
  }
  return "unknown";
}

std::optional<MacAddress> ParseMacAddress(std::string_view text) {
  MacAddress mac;
  if (text.size() != 17) return std::nullopt;
  for (size_t i = 0; i < mac.size(); ++i) {
    const char* begin = text.data() + i * 3;
    if (i > 0 && begin[-1] != ':') return std::nullopt;
    const auto [end, ec] = std::from_chars(begin, begin + 2, mac[i], 16);
    if (ec != std::errc() || end != begin + 2) return std::nullopt;
  }
  return mac;
}

}  // namespace mgw::io
