#include "signalling/json_schema.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <set>

namespace mgw::controlplane {
namespace json = boost::json;
namespace {

bool HasType(const json::value& v, std::string_view type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_bool();
  if (type == "null") return v.is_null();
  if (type == "integer") {
    return v.is_int64() || v.is_uint64() ||
           (v.is_double() &&
            v.as_double() == static_cast<double>(static_cast<int64_t>(v.as_double())));
  }
  if (type == "number") return v.is_number();
  return false;
}

double AsDouble(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return v.as_double();
}

std::optional<std::string> Fail(const std::string& path, std::string reason) {
  return fmt::format("{}: {}", path.empty() ? "/" : path, reason);
}

std::optional<std::string> Validate(const json::object& schema, const json::value& v,
                                    const std::string& path);

std::optional<std::string> ValidateType(const json::object& schema, const json::value& v,
                                        const std::string& path) {
  const json::value* type = schema.if_contains("type");
  if (type == nullptr) return std::nullopt;
  if (type->is_string()) {
    if (!HasType(v, type->as_string())) {
      return Fail(path, fmt::format("expected {}", std::string_view(type->as_string())));
    }
    return std::nullopt;
  }
  for (const json::value& t : type->as_array()) {
    if (HasType(v, t.as_string())) return std::nullopt;
  }
  return Fail(path, fmt::format("expected one of {}", json::serialize(*type)));
}

std::optional<std::string> ValidateObject(const json::object& schema, const json::object& o,
                                          const std::string& path) {
  if (const json::value* required = schema.if_contains("required")) {
    for (const json::value& name : required->as_array()) {
      if (!o.contains(name.as_string())) {
        return Fail(path, fmt::format("\"{}\" is required", std::string_view(name.as_string())));
      }
    }
  }
  const json::object* properties = nullptr;
  if (const json::value* p = schema.if_contains("properties")) properties = &p->as_object();
  const json::value* additional = schema.if_contains("additionalProperties");
  for (const auto& [key, value] : o) {
    const std::string child = fmt::format("{}/{}", path, std::string_view(key));
    if (properties != nullptr) {
      if (const json::value* sub = properties->if_contains(key)) {
        if (auto error = Validate(sub->as_object(), value, child)) return error;
        continue;
      }
    }
    if (additional != nullptr && additional->is_bool() && !additional->as_bool()) {
      return Fail(path, fmt::format("unknown field \"{}\"", std::string_view(key)));
    }
  }
  return std::nullopt;
}

std::optional<std::string> ValidateArray(const json::object& schema, const json::array& a,
                                         const std::string& path) {
  if (const json::value* min = schema.if_contains("minItems");
      min && a.size() < min->to_number<size_t>()) {
    return Fail(path, fmt::format("expected at least {} items", min->to_number<size_t>()));
  }
  if (const json::value* max = schema.if_contains("maxItems");
      max && a.size() > max->to_number<size_t>()) {
    return Fail(path, fmt::format("expected at most {} items", max->to_number<size_t>()));
  }
  if (const json::value* unique = schema.if_contains("uniqueItems"); unique && unique->as_bool()) {
    std::set<std::string> seen;
    for (const json::value& item : a) {
      if (!seen.insert(json::serialize(item)).second) return Fail(path, "items must be unique");
    }
  }
  if (const json::value* items = schema.if_contains("items")) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (auto error = Validate(items->as_object(), a[i], fmt::format("{}/{}", path, i))) {
        return error;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> ValidateScalar(const json::object& schema, const json::value& v,
                                          const std::string& path) {
  if (v.is_string()) {
    const size_t length = v.as_string().size();
    if (const json::value* min = schema.if_contains("minLength");
        min && length < min->to_number<size_t>()) {
      return Fail(path, fmt::format("expected at least {} characters", min->to_number<size_t>()));
    }
    if (const json::value* max = schema.if_contains("maxLength");
        max && length > max->to_number<size_t>()) {
      return Fail(path, fmt::format("expected at most {} characters", max->to_number<size_t>()));
    }
  }
  if (v.is_number()) {
    if (const json::value* min = schema.if_contains("minimum");
        min && AsDouble(v) < AsDouble(*min)) {
      return Fail(path, fmt::format("expected at least {}", json::serialize(*min)));
    }
    if (const json::value* max = schema.if_contains("maximum");
        max && AsDouble(v) > AsDouble(*max)) {
      return Fail(path, fmt::format("expected at most {}", json::serialize(*max)));
    }
  }
  return std::nullopt;
}

std::optional<std::string> Validate(const json::object& schema, const json::value& v,
                                    const std::string& path) {
  if (auto error = ValidateType(schema, v, path)) return error;
  if (const json::value* c = schema.if_contains("const"); c && *c != v) {
    return Fail(path, fmt::format("expected {}", json::serialize(*c)));
  }
  if (const json::value* e = schema.if_contains("enum")) {
    bool found = false;
    for (const json::value& option : e->as_array()) found = found || option == v;
    if (!found) return Fail(path, fmt::format("expected one of {}", json::serialize(*e)));
  }
  if (v.is_object()) return ValidateObject(schema, v.as_object(), path);
  if (v.is_array()) return ValidateArray(schema, v.as_array(), path);
  return ValidateScalar(schema, v, path);
}

}  // namespace

std::optional<std::string> ValidateJson(const json::value& schema, const json::value& instance) {
  return Validate(schema.as_object(), instance, "");
}

}  // namespace mgw::controlplane
