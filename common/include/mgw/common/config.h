#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mgw/common/secret.h"

// One TOML file configures all three daemons (deploy/mgw.toml documents every key). Values come,
// last one winning, from: the embedded defaults, the file, environment variables
// (MGW_<KEY> with dots as underscores, e.g. MGW_CONTROLPLANE_PORT) and --set key=value flags.
// Everything is validated at start-up: an unknown key, a wrong type or an out-of-range value is a
// ConfigError naming where the value came from (file and line, variable or flag), the key and
// what was expected.
namespace mgw::config {

enum class Type { kBool, kInt, kString, kStringList };

using Value = std::variant<bool, int64_t, std::string, std::vector<std::string>>;

struct KeySpec {
  std::string_view key;  // dotted path, e.g. "controlplane.port"
  Type type;
  Value default_value;
  std::string_view help;
  int64_t min = 0;  // kInt only
  int64_t max = 0;
  std::vector<std::string_view> choices = {};  // kString only; empty means any string
  bool secret = false;                         // never printed or logged
};

// Every key mgw understands, in documentation order.
const std::vector<KeySpec>& Schema();
const KeySpec* FindKey(std::string_view key);

// The environment variable that overrides `key`: "MGW_" + upper-case key, dots as underscores.
std::string EnvName(std::string_view key);

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Origin {
  enum class Kind { kDefault, kFile, kEnvironment, kFlag };
  Kind kind = Kind::kDefault;
  std::string detail;  // "path:line", the variable's name, or the flag text

  std::string Describe() const;
};

struct LoadOptions {
  std::optional<std::string> file;                               // TOML file, if any
  std::vector<std::pair<std::string, std::string>> environment;  // name, value
  std::vector<std::string> overrides;                            // "key=value" from --set

  // The process environment's MGW_* variables.
  static std::vector<std::pair<std::string, std::string>> ProcessEnvironment();
};

class Config {
 public:
  // Embedded defaults only.
  Config();
  // Throws ConfigError on the first problem found.
  static Config Load(const LoadOptions& options);

  bool GetBool(std::string_view key) const;
  int64_t GetInt(std::string_view key) const;
  const std::string& GetString(std::string_view key) const;  // not for secret keys
  const std::vector<std::string>& GetStringList(std::string_view key) const;
  Secret GetSecret(std::string_view key) const;
  const Origin& GetOrigin(std::string_view key) const;

  // A path key resolved against the directory key `base_key` when relative.
  std::string GetPath(std::string_view key, std::string_view base_key) const;

  // Sets one value, validated as if it came from a flag (used by tests and tools).
  void Set(std::string_view key, std::string_view text);

  // The merged configuration as TOML, each value annotated with its origin; secrets redacted.
  std::string Render() const;

 private:
  struct Entry {
    const KeySpec* spec;
    Value value;
    Origin origin;
  };
  const Entry& EntryFor(std::string_view key, Type type) const;
  void Assign(const KeySpec& spec, Value value, Origin origin);
  void AssignText(const KeySpec& spec, std::string_view text, Origin origin);
  friend class FileLoader;  // config.cc: walks the TOML tree

  std::vector<Entry> entries_;  // parallel to Schema()
};

}  // namespace mgw::config
