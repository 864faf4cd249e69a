#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace mgw::controlplane {

// A request body read strictly: a JSON object whose fields are read by name and type. Anything
// else is refused with a ServiceError before a service is called, so a bad request changes
// nothing: malformed JSON (400 /problems/malformed-json), a body that is not an object or a field
// of the wrong type (422 /problems/invalid-field), a missing field (422 /problems/missing-field),
// a field the route does not know (422 /problems/unknown-field, see RejectUnknownFields).
class JsonBody {
 public:
  // An empty body reads as {}.
  static JsonBody Parse(std::string_view body);

  std::optional<std::string> String(std::string_view name, bool required = false);
  std::optional<std::int64_t> Int(std::string_view name, bool required = false);
  std::optional<boost::json::array> Array(std::string_view name, bool required = false);
  // Call after reading every field the route knows.
  void RejectUnknownFields() const;

 private:
  const boost::json::value* Field(std::string_view name, bool required);

  boost::json::object object_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace mgw::controlplane
