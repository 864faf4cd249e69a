#pragma once

#include <chrono>
#include <memory>
#include <regex>
#include <string>

#include "child_process.h"

namespace mgw::testing {

// A real mgw-dataplane on the posix backend, media on 127.0.0.1 (by default an ephemeral port), its
// control socket at `runtime_dir`/dataplane.sock (where mgw-controlplane looks by default).
// Start-up is awaited on its "admin endpoints on" line, printed after the control socket listens.
class DataplaneProcess {
 public:
  // `media_port` 0: any free port.
  explicit DataplaneProcess(const std::string& runtime_dir, int media_port = 0) {
    ChildProcess::Options options;
    options.args = {BinaryPath("mgw-dataplane"),
                    "--set",
                    "dataplane.backend=posix",
                    "--set",
                    "dataplane.media_address=127.0.0.1",
                    "--set",
                    "dataplane.media_port=" + std::to_string(media_port),
                    "--set",
                    "dataplane.admin_port=0",
                    "--set",
                    "dataplane.pli_interval_ms=100"};
    options.env = {{"MGW_RUNTIME_DIR", runtime_dir}, {"MGW_STATE_DIR", runtime_dir}};
    child_ = std::make_unique<ChildProcess>(std::move(options));
    started_ =
        child_->WaitForLine(std::regex(R"(admin endpoints on http://)"), std::chrono::seconds(30))
            .has_value();
  }

  bool started() const { return started_; }
  ChildProcess& child() { return *child_; }
  std::string socket_path(const std::string& runtime_dir) const {
    return runtime_dir + "/dataplane.sock";
  }

 private:
  std::unique_ptr<ChildProcess> child_;
  bool started_ = false;
};

}  // namespace mgw::testing
