#include "mgw/common/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in a header

namespace mgw::config {
namespace {

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kBool:
      return "a boolean (true or false)";
    case Type::kInt:
      return "an integer";
    case Type::kString:
      return "a string";
    case Type::kStringList:
      return "an array of strings";
  }
  return "?";
}

std::string Expected(const KeySpec& spec) {
  if (spec.type == Type::kInt) {
    return fmt::format("an integer from {} to {}", spec.min, spec.max);
  }
  if (spec.type == Type::kString && !spec.choices.empty()) {
    std::string out = "one of";
    for (size_t i = 0; i < spec.choices.size(); ++i) {
      out += fmt::format("{}\"{}\"", i == 0 ? " " : ", ", spec.choices[i]);
    }
    return out;
  }
  return std::string(TypeName(spec.type));
}

[[noreturn]] void Fail(const Origin& origin, std::string_view key, std::string_view what) {
  throw ConfigError(fmt::format("{}: {}: {}", origin.Describe(), key, what));
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string_view NodeTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// True when some schema key lives below `prefix` (so "controlplane.tls" is a known table).
bool IsKnownTable(std::string_view prefix) {
  return std::any_of(Schema().begin(), Schema().end(), [&](const KeySpec& spec) {
    return spec.key.size() > prefix.size() && spec.key.starts_with(prefix) &&
           spec.key[prefix.size()] == '.';
  });
}

Origin FileOrigin(const std::string& file, const toml::node& node) {
  return {Origin::Kind::kFile, fmt::format("{}:{}", file, node.source().begin.line)};
}

}  // namespace

const KeySpec* FindKey(std::string_view key) {
  for (const KeySpec& spec : Schema()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

std::string EnvName(std::string_view key) {
  std::string name = "MGW_";
  for (char c : key) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::string Origin::Describe() const {
  switch (kind) {
    case Kind::kDefault:
      return "default";
    case Kind::kFile:
      return detail;
    case Kind::kEnvironment:
      return "environment " + detail;
    case Kind::kFlag:
      return "flag " + detail;
  }
  return detail;
}

std::vector<std::pair<std::string, std::string>> LoadOptions::ProcessEnvironment() {
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!entry.starts_with("MGW_")) continue;
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

Config::Config() {
  entries_.reserve(Schema().size());
  for (const KeySpec& spec : Schema()) {
    entries_.push_back({&spec, spec.default_value, Origin{}});
  }
}

void Config::Assign(const KeySpec& spec, Value value, Origin origin) {
  if (spec.type == Type::kInt) {
    int64_t v = std::get<int64_t>(value);
    if (v < spec.min || v > spec.max) {
      Fail(origin, spec.key, fmt::format("expected {}, got {}", Expected(spec), v));
    }
  }
  if (spec.type == Type::kString && !spec.choices.empty()) {
    const std::string& v = std::get<std::string>(value);
    if (std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
      Fail(origin, spec.key, fmt::format("expected {}, got {}", Expected(spec), Quote(v)));
    }
  }
  for (Entry& entry : entries_) {
    if (entry.spec == &spec) {
      entry.value = std::move(value);
      entry.origin = std::move(origin);
      return;
    }
  }
}

// Text from the environment or a flag, read according to the key's type.
void Config::AssignText(const KeySpec& spec, std::string_view text, Origin origin) {
  switch (spec.type) {
    case Type::kBool:
      if (text == "true" || text == "1" || text == "yes" || text == "on") {
        Assign(spec, true, std::move(origin));
      } else if (text == "false" || text == "0" || text == "no" || text == "off") {
        Assign(spec, false, std::move(origin));
      } else {
        Fail(origin, spec.key, fmt::format("expected {}, got {}", Expected(spec), Quote(text)));
      }
      return;
    case Type::kInt: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        Fail(origin, spec.key, fmt::format("expected {}, got {}", Expected(spec), Quote(text)));
      }
      Assign(spec, v, std::move(origin));
      return;
    }
    case Type::kString:
      Assign(spec, std::string(text), std::move(origin));
      return;
    case Type::kStringList: {
      std::vector<std::string> items;
      size_t start = 0;
      while (start <= text.size() && !text.empty()) {
        size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        items.emplace_back(text.substr(start, comma - start));
        start = comma + 1;
      }
      Assign(spec, std::move(items), std::move(origin));
      return;
    }
  }
}

class FileLoader {
 public:
  FileLoader(Config& config, const std::string& file) : config_(config), file_(file) {}
  void LoadTable(const toml::table& table, const std::string& prefix);

 private:
  Config& config_;
  const std::string& file_;
};

void FileLoader::LoadTable(const toml::table& table, const std::string& prefix) {
  const std::string& file = file_;
  for (const auto& entry : table) {
    // Named references rather than a structured binding: lambdas below capture `node`.
    const toml::key& name = entry.first;
    const toml::node& node = entry.second;
    std::string key =
        prefix.empty() ? std::string(name.str()) : fmt::format("{}.{}", prefix, name.str());
    Origin origin = FileOrigin(file, node);
    const KeySpec* spec = FindKey(key);
    if (spec == nullptr) {
      if (node.is_table() && IsKnownTable(key)) {
        LoadTable(*node.as_table(), key);
        continue;
      }
      Fail(origin, key, node.is_table() ? "unknown table" : "unknown key");
    }
    auto wrong_type = [&] {
      Fail(origin, key, fmt::format("expected {}, got {}", Expected(*spec), NodeTypeName(node)));
    };
    switch (spec->type) {
      case Type::kBool:
        if (!node.is_boolean()) wrong_type();
        config_.Assign(*spec, node.as_boolean()->get(), std::move(origin));
        break;
      case Type::kInt:
        if (!node.is_integer()) wrong_type();
        config_.Assign(*spec, node.as_integer()->get(), std::move(origin));
        break;
      case Type::kString:
        if (!node.is_string()) wrong_type();
        config_.Assign(*spec, node.as_string()->get(), std::move(origin));
        break;
      case Type::kStringList: {
        const toml::array* array = node.as_array();
        if (array == nullptr) wrong_type();
        std::vector<std::string> items;
        for (const toml::node& item : *array) {
          if (!item.is_string()) {
            Fail(FileOrigin(file, item), key,
                 fmt::format("expected {}, got an element that is {}", Expected(*spec),
                             NodeTypeName(item)));
          }
          items.push_back(item.as_string()->get());
        }
        config_.Assign(*spec, std::move(items), std::move(origin));
        break;
      }
    }
  }
}

Config Config::Load(const LoadOptions& options) {
  Config config;
  if (options.file) {
    const std::string& file = *options.file;
    toml::table root;
    try {
      root = toml::parse_file(file);
    } catch (const toml::parse_error& e) {
      std::string_view what = e.description();
      if (e.source().begin.line == 0) {  // could not be read at all
        throw ConfigError(fmt::format("{}: {}", file, what));
      }
      throw ConfigError(
          fmt::format("{}:{}:{}: {}", file, e.source().begin.line, e.source().begin.column, what));
    }
    FileLoader{config, file}.LoadTable(root, "");
  }
  for (const auto& [name, text] : options.environment) {
    for (const KeySpec& spec : Schema()) {
      if (EnvName(spec.key) == name) {
        config.AssignText(spec, text, Origin{Origin::Kind::kEnvironment, name});
      }
    }
  }
  for (const std::string& flag : options.overrides) {
    size_t eq = flag.find('=');
    Origin origin{Origin::Kind::kFlag, "--set " + flag};
    if (eq == std::string::npos) {
      Fail(origin, flag, "expected key=value");
    }
    std::string key = flag.substr(0, eq);
    const KeySpec* spec = FindKey(key);
    if (spec == nullptr) Fail(origin, key, "unknown key");
    if (spec->secret) origin.detail = "--set " + key + "=" + std::string(kRedacted);
    config.AssignText(*spec, std::string_view(flag).substr(eq + 1), std::move(origin));
  }
  return config;
}

const Config::Entry& Config::EntryFor(std::string_view key, Type type) const {
  for (const Entry& entry : entries_) {
    if (entry.spec->key == key) {
      if (entry.spec->type != type) {
        // A program error, not an operator's: the code asked for the wrong type.
        throw std::logic_error(fmt::format("config key {} read as the wrong type", key));
      }
      return entry;
    }
  }
  throw std::logic_error(fmt::format("config key {} is not in the schema", key));
}

bool Config::GetBool(std::string_view key) const {
  return std::get<bool>(EntryFor(key, Type::kBool).value);
}

int64_t Config::GetInt(std::string_view key) const {
  return std::get<int64_t>(EntryFor(key, Type::kInt).value);
}

const std::string& Config::GetString(std::string_view key) const {
  const Entry& entry = EntryFor(key, Type::kString);
  if (entry.spec->secret) {
    throw std::logic_error(fmt::format("config key {} is secret: use GetSecret", key));
  }
  return std::get<std::string>(entry.value);
}

const std::vector<std::string>& Config::GetStringList(std::string_view key) const {
  return std::get<std::vector<std::string>>(EntryFor(key, Type::kStringList).value);
}

Secret Config::GetSecret(std::string_view key) const {
  return Secret(std::get<std::string>(EntryFor(key, Type::kString).value));
}

const Origin& Config::GetOrigin(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.spec->key == key) return entry.origin;
  }
  throw std::logic_error(fmt::format("config key {} is not in the schema", key));
}

std::string Config::GetPath(std::string_view key, std::string_view base_key) const {
  std::filesystem::path path(GetString(key));
  if (path.is_absolute() || path.empty()) return path.string();
  return (std::filesystem::path(GetString(base_key)) / path).string();
}

void Config::Set(std::string_view key, std::string_view text) {
  const KeySpec* spec = FindKey(key);
  Origin origin{Origin::Kind::kFlag, fmt::format("--set {}", key)};
  if (spec == nullptr) Fail(origin, key, "unknown key");
  AssignText(*spec, text, std::move(origin));
}

std::string Config::Render() const {
  std::string out;
  std::string table;
  for (const Entry& entry : entries_) {
    std::string_view key = entry.spec->key;
    size_t dot = key.rfind('.');
    std::string entry_table = dot == std::string_view::npos ? "" : std::string(key.substr(0, dot));
    std::string_view name = dot == std::string_view::npos ? key : key.substr(dot + 1);
    if (entry_table != table) {
      table = entry_table;
      out += fmt::format("\n[{}]\n", table);
    }
    std::string value;
    if (entry.spec->secret) {
      value = std::get<std::string>(entry.value).empty() ? "\"\"" : Quote(kRedacted);
    } else if (const bool* b = std::get_if<bool>(&entry.value)) {
      value = *b ? "true" : "false";
    } else if (const int64_t* i = std::get_if<int64_t>(&entry.value)) {
      value = std::to_string(*i);
    } else if (const std::string* s = std::get_if<std::string>(&entry.value)) {
      value = Quote(*s);
    } else {
      const auto& list = std::get<std::vector<std::string>>(entry.value);
      value = "[";
      for (size_t n = 0; n < list.size(); ++n) value += (n ? ", " : "") + Quote(list[n]);
      value += "]";
    }
    out += fmt::format("{} = {}  # {}\n", name, value, entry.origin.Describe());
  }
  return out;
}

}  // namespace mgw::config
