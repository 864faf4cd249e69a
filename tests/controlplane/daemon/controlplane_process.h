#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "child_process.h"

namespace mgw::testing {

// A real mgw-controlplane process on an ephemeral port, on SQLite (a file under `state_dir`) or
// PostgreSQL (`postgres_uri`). Start-up is awaited on its "API on http://..." line.
class ControlplaneProcess {
 public:
  static constexpr const char* kAdminPassword = "admin-password-1234";

  ControlplaneProcess(const std::string& state_dir, const std::optional<std::string>& postgres_uri,
                      std::vector<std::pair<std::string, std::string>> extra_env = {}) {
    ChildProcess::Options options;
    options.args = {BinaryPath("mgw-controlplane")};
    options.env = {{"MGW_STATE_DIR", state_dir},
                   {"MGW_RUNTIME_DIR", state_dir + "/run"},
                   {"MGW_CONTROLPLANE_PORT", "0"},
                   {"MGW_ADMIN_PASSWORD", kAdminPassword}};
    // Tests make requests faster than any client should: no per-caller limit unless a test
    // sets one (the rate limit's own test does).
    bool rate_limit_set = false;
    for (const auto& entry : extra_env) {
      rate_limit_set |= entry.first == "MGW_CONTROLPLANE_RATE_LIMIT_REQUESTS_PER_SECOND";
    }
    if (!rate_limit_set) {
      options.env.emplace_back("MGW_CONTROLPLANE_RATE_LIMIT_REQUESTS_PER_SECOND", "0");
    }
    for (auto& entry : extra_env) options.env.push_back(std::move(entry));
    if (postgres_uri) {
      options.env.emplace_back("MGW_CONTROLPLANE_DATABASE_BACKEND", "postgresql");
      options.env.emplace_back("MGW_CONTROLPLANE_DATABASE_POSTGRESQL_URI", *postgres_uri);
    } else {
      // Hermetic: the SQLite default, whatever the test's own environment says.
      options.unset_env = {"MGW_CONTROLPLANE_DATABASE_BACKEND",
                           "MGW_CONTROLPLANE_DATABASE_POSTGRESQL_URI"};
    }
    child_ = std::make_unique<ChildProcess>(std::move(options));
    auto match = child_->WaitForLine(std::regex(R"(API on http://127\.0\.0\.1:(\d+)/)"),
                                     std::chrono::seconds(60));
    if (match) port_ = static_cast<uint16_t>(std::stoi((*match)[1]));
  }

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  ChildProcess& child() { return *child_; }

 private:
  std::unique_ptr<ChildProcess> child_;
  uint16_t port_ = 0;
};

}  // namespace mgw::testing
