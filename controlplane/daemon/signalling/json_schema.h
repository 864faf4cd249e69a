#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>

namespace mgw::controlplane {

// The subset of JSON Schema (2020-12) that the signalling schemas in api/signalling/ use: type
// (one or a list), const, enum, required, properties, additionalProperties (false), minLength,
// maxLength, minimum, maximum, items, minItems, maxItems, uniqueItems. Anything else in a schema
// is ignored; tests/controlplane/daemon validates the same files with ajv, so they stay within
// this subset. Returns why `instance` fails `schema` ("/path: reason"), or nullopt when it
// conforms.
std::optional<std::string> ValidateJson(const boost::json::value& schema,
                                        const boost::json::value& instance);

}  // namespace mgw::controlplane
