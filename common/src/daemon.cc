#include "mgw/common/daemon.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "mgw/common/log.h"
#include "mgw/version.h"

namespace mgw::daemon {

void Shutdown::Request() {
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
  }
  cv_.notify_all();
}

bool Shutdown::requested() const {
  std::lock_guard lock(mutex_);
  return requested_;
}

void Shutdown::Wait() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return requested_; });
}

int Main(int argc, char** argv, const Spec& spec) {
  CLI::App app{spec.description, spec.program};
  std::string config_file;
  std::vector<std::string> overrides;
  bool print_config = false;
  bool check_config = false;
  app.set_version_flag("--version", fmt::format("{} {}", spec.program, kVersion));
  app.add_option("-c,--config", config_file,
                 "TOML configuration file (default: the embedded defaults; see deploy/mgw.toml)");
  app.add_option("--set", overrides, "Override one key, e.g. --set controlplane.port=8081")
      ->type_name("KEY=VALUE");
  app.add_flag("--print-config", print_config,
               "Print the merged configuration (file, environment, flags) and exit");
  app.add_flag("--check-config", check_config, "Validate the configuration and exit");
  app.footer(
      "Environment: MGW_<KEY> overrides a key, dots as underscores (MGW_CONTROLPLANE_PORT).\n"
      "Exit status 78 means the configuration is invalid.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  config::Config config;
  try {
    config::LoadOptions options;
    if (!config_file.empty()) options.file = config_file;
    options.environment = config::LoadOptions::ProcessEnvironment();
    options.overrides = overrides;
    config = config::Config::Load(options);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "%s: configuration error: %s\n", spec.program.c_str(), e.what());
    return kExitConfig;
  }
  if (print_config) {
    std::cout << "# " << spec.program << " " << kVersion << ": merged configuration\n"
              << config.Render();
    return 0;
  }
  if (check_config) {
    std::cout << spec.program << ": configuration is valid\n";
    return 0;
  }

  log::Options log_options;
  log_options.component = spec.component;
  log_options.level = config.GetString("log.level");
  log_options.format =
      config.GetString("log.format") == "json" ? log::Format::kJson : log::Format::kText;
  log::Init(log_options);

  // Signals are taken by one thread with sigwait; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a peer closing a socket is an error return, not a signal
  Shutdown shutdown;
  std::atomic<bool> ended_on_its_own{false};
  std::thread signal_thread([&] {
    int signo = 0;
    sigwait(&signals, &signo);
    if (signo != 0 && !ended_on_its_own) {
      spdlog::info("{} received, shutting down", signo == SIGINT ? "SIGINT" : "SIGTERM");
    }
    shutdown.Request();
  });

  spdlog::info("{} {} starting", spec.program, kVersion);
  int status = 1;
  try {
    status = spec.run(config, shutdown);
  } catch (const config::ConfigError& e) {
    spdlog::critical("configuration error: {}", e.what());
    status = kExitConfig;
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    status = 1;
  }
  // Wake the signal thread if the daemon ended on its own.
  // Every thread blocks SIGTERM, so a process-directed one reaches only the sigwait above.
  if (!shutdown.requested()) {
    ended_on_its_own = true;
    kill(getpid(), SIGTERM);
  }
  signal_thread.join();
  spdlog::info("{} stopped (status {})", spec.program, status);
  spdlog::shutdown();
  return status;
}

}  // namespace mgw::daemon
