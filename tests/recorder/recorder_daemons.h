#pragma once

// The three real daemons of a recorder end-to-end test: mgw-dataplane and mgw-controlplane started
// by StartDaemons (the control plane with a 3 s recorder lease, so a killed recorder's claim comes
// back quickly), mgw-recorder by StartRecorder, all in one temporary directory.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "api_client.h"
#include "child_process.h"
#include "controlplane_process.h"
#include "dataplane_process.h"
#include "temp_dir.h"

namespace mgw::testing {

class RecorderDaemonsTest : public ::testing::Test {
 protected:
  using Env = std::vector<std::pair<std::string, std::string>>;

  explicit RecorderDaemonsTest(const char* dir_name, std::string recorder_name)
      : dir_(dir_name), recorder_name_(std::move(recorder_name)) {}

  // Starts the dataplane and the control plane (with `env` added), waits until the control plane
  // has registered the node, and logs the administrator in.
  void StartDaemons(Env env = {}) {
    using namespace std::chrono_literals;
    std::filesystem::create_directories(runtime_dir());
    dataplane_ = std::make_unique<DataplaneProcess>(runtime_dir());
    ASSERT_TRUE(dataplane_->started()) << dataplane_->child().output();
    env.emplace_back("MGW_RECORDER_LEASE_SECONDS", "3");
    controlplane_ = std::make_unique<ControlplaneProcess>(dir_.File("state"), std::nullopt, env);
    ASSERT_TRUE(controlplane_->started()) << controlplane_->child().output();
    const std::regex registered("node .* registered");
    ASSERT_TRUE(std::regex_search(controlplane_->child().output(), registered) ||
                controlplane_->child().WaitForLine(registered, 30s))
        << controlplane_->child().output();
    api_ = std::make_unique<ApiClient>(controlplane_->port(), dir_.File("responses.jsonl"));
    admin_token_ = api_->Login("admin", ControlplaneProcess::kAdminPassword);
  }

  std::string runtime_dir() const { return dir_.File("state") + "/run"; }
  std::string output_dir() const { return dir_.File("recordings"); }

  // mgw-recorder on the embedded defaults but for where things are: no secret configured (it
  // reads the one the control plane generated in runtime_dir); `extra_env` added.
  std::unique_ptr<ChildProcess> StartRecorder(Env extra_env = {}) {
    using namespace std::chrono_literals;
    ChildProcess::Options options;
    options.args = {BinaryPath("mgw-recorder")};
    options.env = {{"MGW_STATE_DIR", dir_.File("recorder-state")},
                   {"MGW_RUNTIME_DIR", runtime_dir()},
                   {"MGW_RECORDER_ADMIN_PORT", "0"},
                   {"MGW_RECORDER_OUTPUT_DIR", output_dir()},
                   {"MGW_RECORDER_POLL_INTERVAL_MS", "100"},
                   {"MGW_RECORDER_LEASE_SECONDS", "3"},
                   {"MGW_RECORDER_NAME", recorder_name_},
                   {"MGW_RECORDER_CONTROLPLANE_URL",
                    "http://127.0.0.1:" + std::to_string(controlplane_->port())}};
    for (auto& entry : extra_env) options.env.push_back(std::move(entry));
    auto child = std::make_unique<ChildProcess>(std::move(options));
    EXPECT_TRUE(child->WaitForLine(std::regex("admin endpoints on http://"), 30s))
        << child->output();
    return child;
  }

  TempDir dir_;
  std::string recorder_name_;
  std::unique_ptr<DataplaneProcess> dataplane_;
  std::unique_ptr<ControlplaneProcess> controlplane_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_token_;
  std::string meeting_id_;
};

}  // namespace mgw::testing
