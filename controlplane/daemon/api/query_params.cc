#include "query_params.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "mgw/service/service_error.h"

namespace mgw::controlplane {
namespace {

service::ServiceError InvalidQuery(std::string detail) {
  return service::ServiceError(service::ErrorKind::kInvalidRequest,
                               std::string(service::problem::kInvalidQuery), "Invalid query",
                               std::move(detail));
}

}  // namespace

QueryParams::QueryParams(std::string_view query, std::initializer_list<std::string_view> allowed) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw InvalidQuery(fmt::format("unknown query parameter \"{}\"", name));
    }
    if (!values_.emplace(name, std::move(value)).second) {
      throw InvalidQuery(fmt::format("query parameter \"{}\" given twice", name));
    }
  }
}

std::optional<std::int64_t> QueryParams::Int(std::string_view name, std::int64_t min,
                                             std::int64_t max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  const std::string& text = it->second;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw InvalidQuery(fmt::format("\"{}\" must be an integer from {} to {}", name, min, max));
  }
  return value;
}

std::optional<std::string> QueryParams::String(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

service::PageRequest QueryParams::Page() const {
  service::PageRequest page;
  if (auto limit = Int("limit", 1, service::PageRequest::kMaxLimit)) {
    page.limit = static_cast<std::size_t>(*limit);
  }
  if (auto offset = Int("offset", 0, INT32_MAX)) page.offset = static_cast<std::size_t>(*offset);
  return page;
}

}  // namespace mgw::controlplane
