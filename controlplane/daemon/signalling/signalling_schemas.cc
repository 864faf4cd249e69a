#include "signalling/signalling_schemas.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "signalling/json_schema.h"

namespace mgw::controlplane {

SignallingSchemas::SignallingSchemas() {
  for (const SignallingSchemaFile& file : EmbeddedSignallingSchemas()) {
    boost::system::error_code ec;
    boost::json::value schema = boost::json::parse(file.text, ec);
    if (ec || !schema.is_object()) {
      throw std::runtime_error(
          fmt::format("api/signalling/{}.json is not a JSON object", file.content_type));
    }
    schemas_.emplace(std::string(file.content_type), std::move(schema));
  }
}

std::optional<std::string> SignallingSchemas::Check(const boost::json::value& message) const {
  if (!message.is_object()) return "/: expected an object";
  const boost::json::value* type = message.as_object().if_contains("content_type");
  if (type == nullptr || !type->is_string()) return "/: \"content_type\" is required";
  auto schema = schemas_.find(std::string_view(type->as_string()));
  if (schema == schemas_.end()) {
    return fmt::format("/content_type: unknown message type \"{}\"",
                       std::string_view(type->as_string()));
  }
  return ValidateJson(schema->second, message);
}

}  // namespace mgw::controlplane
