#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "mgw/common/config.h"

// The start-up every mgw process shares: command line (--help, --version, --config, --set,
// --print-config, --check-config), configuration loading and validation (an error stops the
// process with exit status 78, EX_CONFIG, before anything is bound), logging, and SIGINT/SIGTERM
// turned into a shutdown request the daemon waits on.
namespace mgw::daemon {

inline constexpr int kExitConfig = 78;  // sysexits.h EX_CONFIG: systemd does not restart on it

class Shutdown {
 public:
  void Request();
  bool requested() const;
  void Wait();  // until Request()

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool requested_ = false;
};

struct Spec {
  std::string program;      // "mgw-dataplane"
  std::string component;    // "dataplane": the logger's name
  std::string description;  // one line for --help
  // Runs the daemon until `shutdown` is requested; returns the exit status.
  std::function<int(const config::Config&, Shutdown& shutdown)> run;
};

int Main(int argc, char** argv, const Spec& spec);

}  // namespace mgw::daemon
