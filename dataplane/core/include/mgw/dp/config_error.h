#pragma once

// Thrown by configuration calls (add participant, subscribe, set keys, ...) that the request makes
// impossible: unknown ids, duplicate SSRCs, limits exceeded, full tables. Configuration runs
// between bursts, off the packet path; packet processing never throws.

#include <stdexcept>
#include <string>

namespace mgw::dp {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace mgw::dp
