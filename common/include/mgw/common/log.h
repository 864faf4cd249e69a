#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

// Structured logging for every mgw process: spdlog underneath, one logger per process named after
// the component, text or JSON lines on stderr. Every message passes through RedactSecrets() before
// it is written, as a second line of defence behind mgw::Secret (which formats as "<redacted>").
namespace mgw::log {

enum class Format { kText, kJson };

struct Options {
  std::string component;       // "dataplane", "controlplane", ...
  std::string level = "info";  // trace, debug, info, warn, error
  Format format = Format::kText;
  // Where lines go; stderr when null (tests pass an ostream sink).
  std::shared_ptr<spdlog::sinks::sink> sink;
};

// Installs the process-wide default logger. Safe to call again (replaces it).
void Init(const Options& options);

// Masks the values of credential-looking fields in free text: "password=hunter2",
// "\"token\": \"abc\"", "Authorization: Bearer abc", "postgresql://user:pw@host". Idempotent.
std::string RedactSecrets(std::string_view text);

}  // namespace mgw::log
