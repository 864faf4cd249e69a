#include "json_body.h"

#include <fmt/format.h>

#include "mgw/service/service_error.h"

namespace mgw::controlplane {
namespace {

using service::ErrorKind;
using service::ServiceError;

ServiceError FieldError(std::string_view type, const char* title, std::string_view field,
                        std::string detail) {
  ServiceError error(ErrorKind::kUnprocessable, std::string(type), title, std::move(detail));
  error.WithField(std::string(field));
  return error;
}

}  // namespace

JsonBody JsonBody::Parse(std::string_view body) {
  JsonBody result;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return result;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec) {
    throw ServiceError(ErrorKind::kInvalidRequest, std::string(service::problem::kMalformedJson),
                       "Malformed JSON", fmt::format("the body is not JSON: {}", ec.message()));
  }
  if (!value.is_object()) {
    throw ServiceError(ErrorKind::kUnprocessable, std::string(service::problem::kInvalidField),
                       "Invalid body", "the body must be a JSON object");
  }
  result.object_ = std::move(value.as_object());
  return result;
}

const boost::json::value* JsonBody::Field(std::string_view name, bool required) {
  read_.emplace(name);
  const boost::json::value* value = object_.if_contains(name);
  if (!value && required) {
    throw FieldError(service::problem::kMissingField, "Missing field", name,
                     fmt::format("the body needs the field \"{}\"", name));
  }
  return value;
}

std::optional<std::string> JsonBody::String(std::string_view name, bool required) {
  const boost::json::value* value = Field(name, required);
  if (!value) return std::nullopt;
  if (!value->is_string()) {
    throw FieldError(service::problem::kInvalidField, "Invalid field", name,
                     fmt::format("\"{}\" must be a string", name));
  }
  return std::string(value->as_string());
}

std::optional<std::int64_t> JsonBody::Int(std::string_view name, bool required) {
  const boost::json::value* value = Field(name, required);
  if (!value) return std::nullopt;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64() && value->as_uint64() <= INT64_MAX) {
    return static_cast<std::int64_t>(value->as_uint64());
  }
  throw FieldError(service::problem::kInvalidField, "Invalid field", name,
                   fmt::format("\"{}\" must be an integer", name));
}

std::optional<boost::json::array> JsonBody::Array(std::string_view name, bool required) {
  const boost::json::value* value = Field(name, required);
  if (!value) return std::nullopt;
  if (!value->is_array()) {
    throw FieldError(service::problem::kInvalidField, "Invalid field", name,
                     fmt::format("\"{}\" must be an array", name));
  }
  return value->as_array();
}

void JsonBody::RejectUnknownFields() const {
  for (const auto& [key, value] : object_) {
    if (!read_.contains(std::string_view(key))) {
      throw FieldError(service::problem::kUnknownField, "Unknown field", key,
                       fmt::format("this request has no field \"{}\"", std::string_view(key)));
    }
  }
}

}  // namespace mgw::controlplane
