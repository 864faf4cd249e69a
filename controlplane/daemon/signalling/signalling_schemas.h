#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mgw::controlplane {

// api/signalling/<content_type>.json, embedded at build time (EmbedSchemas.cmake).
struct SignallingSchemaFile {
  std::string_view content_type;
  std::string_view text;
};
std::span<const SignallingSchemaFile> EmbeddedSignallingSchemas();

// The parsed schemas by content_type. Built once; read-only afterwards, so thread-safe.
class SignallingSchemas {
 public:
  SignallingSchemas();  // throws std::runtime_error when an embedded schema is not JSON
  // Why `message` fails the schema of its content_type, or nullopt when it conforms. A message
  // without a known content_type fails.
  std::optional<std::string> Check(const boost::json::value& message) const;

 private:
  std::map<std::string, boost::json::value, std::less<>> schemas_;
};

}  // namespace mgw::controlplane
