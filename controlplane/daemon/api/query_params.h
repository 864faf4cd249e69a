#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mgw/service/page.h"

namespace mgw::controlplane {

// A query string read strictly: only the names a route knows, each at most once, integers in
// range. Anything else is ServiceError 400 /problems/invalid-query.
class QueryParams {
 public:
  QueryParams(std::string_view query, std::initializer_list<std::string_view> allowed);

  std::optional<std::int64_t> Int(std::string_view name, std::int64_t min, std::int64_t max) const;
  // The raw value (not percent-decoded), when given.
  std::optional<std::string> String(std::string_view name) const;
  // limit (1..PageRequest::kMaxLimit, default kDefaultLimit) and offset (>= 0, default 0).
  service::PageRequest Page() const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace mgw::controlplane
