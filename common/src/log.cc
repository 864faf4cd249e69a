#include "mgw/common/log.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <boost/beast/core/string.hpp>
#include <cctype>

#include "mgw/common/secret.h"

namespace mgw::log {
namespace {

using boost::beast::iequals;  // ASCII case-insensitive, no locale

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Field names whose values are credentials, matched as the tail of an identifier
// ("admin_password", "secret_access_key", "api-key").
constexpr std::array<std::string_view, 7> kSecretNames = {
    "password", "passwd", "secret", "token", "key", "secret_access_key", "authorization"};

bool IsSecretName(std::string_view word) {
  for (std::string_view name : kSecretNames) {
    if (word.size() >= name.size() && iequals(word.substr(word.size() - name.size()), name) &&
        (word.size() == name.size() ||
         !std::isalpha(static_cast<unsigned char>(word[word.size() - name.size() - 1])))) {
      return true;
    }
  }
  return false;
}

// From `pos` (just past a separator), the extent of a value: quoted, or up to a delimiter.
size_t ValueEnd(std::string_view text, size_t pos) {
  if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
    char quote = text[pos];
    size_t end = text.find(quote, pos + 1);
    return end == std::string_view::npos ? text.size() : end + 1;
  }
  size_t end = pos;
  while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
         text[end] != ',' && text[end] != ';' && text[end] != '&' && text[end] != '}' &&
         text[end] != ')') {
    ++end;
  }
  return end;
}

class RedactedMessage : public spdlog::custom_flag_formatter {
 public:
  explicit RedactedMessage(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string text = RedactSecrets(std::string_view(msg.payload.data(), msg.payload.size()));
    if (!json_) {
      dest.append(text.data(), text.data() + text.size());
      return;
    }
    for (char c : text) {
      switch (c) {
        case '"':
          dest.append(std::string_view("\\\""));
          break;
        case '\\':
          dest.append(std::string_view("\\\\"));
          break;
        case '\n':
          dest.append(std::string_view("\\n"));
          break;
        case '\r':
          dest.append(std::string_view("\\r"));
          break;
        case '\t':
          dest.append(std::string_view("\\t"));
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            fmt::format_to(std::back_inserter(dest), "\\u{:04x}", static_cast<unsigned char>(c));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RedactedMessage>(json_);
  }

 private:
  bool json_;
};

}  // namespace

std::string RedactSecrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // "Bearer <token>" anywhere (Authorization headers, curl traces).
    if (i + 7 <= text.size() && iequals(text.substr(i, 7), "bearer ") &&
        (i == 0 || !IsWordChar(text[i - 1]))) {
      out.append(text.substr(i, 7));
      size_t end = ValueEnd(text, i + 7);
      std::string_view token = text.substr(i + 7, end - i - 7);
      out.append(token.empty() || token == kRedacted ? token : kRedacted);
      i = end;
      continue;
    }
    // scheme://user:password@host
    if (i + 3 <= text.size() && text.substr(i, 3) == "://") {
      size_t at = text.find('@', i + 3);
      size_t stop = ValueEnd(text, i + 3);
      size_t colon = text.find(':', i + 3);
      if (at != std::string_view::npos && at < stop && colon < at) {
        out.append(text.substr(i, colon + 1 - i));
        out.append(kRedacted);
        i = at;
        continue;
      }
    }
    if (IsWordChar(text[i]) && (i == 0 || !IsWordChar(text[i - 1]))) {
      size_t end = i;
      while (end < text.size() && IsWordChar(text[end])) ++end;
      std::string_view word = text.substr(i, end - i);
      out.append(word);
      i = end;
      if (!IsSecretName(word)) continue;
      // Optional closing quote, spaces, then '=' or ':' and spaces.
      size_t j = i;
      if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j;
      while (j < text.size() && text[j] == ' ') ++j;
      if (j >= text.size() || (text[j] != '=' && text[j] != ':')) continue;
      ++j;
      while (j < text.size() && text[j] == ' ') ++j;
      out.append(text.substr(i, j - i));
      i = j;
      size_t value_end = ValueEnd(text, i);
      std::string_view value = text.substr(i, value_end - i);
      bool quoted = !value.empty() && (value.front() == '"' || value.front() == '\'');
      std::string_view inner =
          quoted && value.size() >= 2 ? value.substr(1, value.size() - 2) : value;
      if (inner.empty() || inner == kRedacted || iequals(inner, "bearer")) continue;
      if (quoted) out.push_back(value.front());
      out.append(kRedacted);
      if (quoted) out.push_back(value.front());
      i = value_end;
      continue;
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

void Init(const Options& options) {
  std::shared_ptr<spdlog::sinks::sink> sink = options.sink;
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(options.component, sink);
  bool json = options.format == Format::kJson;
  // Timestamps are UTC in both formats (JSON marks them with Z).
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<RedactedMessage>('*', json);
  if (json) {
    formatter->set_pattern(
        fmt::format(R"({{"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","component":"{}","msg":"%*"}})",
                    options.component));
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%n] %*");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(options.level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace mgw::log
