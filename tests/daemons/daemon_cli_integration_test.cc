#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "child_process.h"
#include "http_fetch.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;

struct Daemon {
  std::string program;
};

std::ostream& operator<<(std::ostream& os, const Daemon& d) { return os << d.program; }

class DaemonTest : public ::testing::TestWithParam<Daemon> {
 protected:
  // Every daemon gets its own state and runtime dirs and ephemeral ports, so tests are hermetic.
  ChildProcess::Options Options(std::vector<std::string> extra) {
    ChildProcess::Options options;
    options.args = {BinaryPath(GetParam().program)};
    for (auto& arg : extra) options.args.push_back(std::move(arg));
    options.env = {
        {"MGW_STATE_DIR", dir_.File("state")}, {"MGW_RUNTIME_DIR", dir_.File("run")},
        {"MGW_CONTROLPLANE_PORT", "0"},        {"MGW_DATAPLANE_ADMIN_PORT", "0"},
        {"MGW_DATAPLANE_MEDIA_PORT", "0"},     {"MGW_DATAPLANE_BACKEND", "posix"},
        {"MGW_RECORDER_ADMIN_PORT", "0"},      {"MGW_ADMIN_PASSWORD", "test-password-1234"}};
    return options;
  }

  int RunToExit(std::vector<std::string> args, std::string* output) {
    ChildProcess child(Options(std::move(args)));
    auto status = child.WaitForExit(30s);
    *output = child.output();
    return status.value_or(-1);
  }

  TempDir dir_;
};

TEST_P(DaemonTest, VersionAndHelp) {
  std::string output;
  EXPECT_EQ(RunToExit({"--version"}, &output), 0);
  EXPECT_NE(output.find(GetParam().program + " 0."), std::string::npos) << output;
  EXPECT_EQ(RunToExit({"--help"}, &output), 0);
  EXPECT_NE(output.find("--config"), std::string::npos) << output;
  EXPECT_NE(output.find("--print-config"), std::string::npos) << output;
}

TEST_P(DaemonTest, UnknownKeyStopsStartUpNamingTheLine) {
  std::string file = dir_.Write("bad.toml", "[controlplane]\nport = 8080\nbogus = 1\n");
  std::string output;
  EXPECT_EQ(RunToExit({"--config", file}, &output), 78);
  EXPECT_NE(output.find(file + ":3: controlplane.bogus: unknown key"), std::string::npos) << output;
}

TEST_P(DaemonTest, WrongTypeStopsStartUpNamingTheLine) {
  std::string file = dir_.Write("bad.toml", "# x\n[controlplane]\nport = \"abc\"\n");
  std::string output;
  EXPECT_EQ(RunToExit({"--config", file}, &output), 78);
  EXPECT_NE(output.find(file + ":3: controlplane.port: expected an integer from 0 to 65535, got "
                               "a string"),
            std::string::npos)
      << output;
}

TEST_P(DaemonTest, ShippedConfigIsValid) {
  std::string output;
  EXPECT_EQ(RunToExit({"--config", SourcePath("deploy/mgw.toml"), "--check-config"}, &output), 0)
      << output;
}

TEST_P(DaemonTest, PrintConfigShowsOriginsAndHidesSecrets) {
  std::string output;
  EXPECT_EQ(RunToExit({"--print-config", "--set", "log.level=debug"}, &output), 0);
  EXPECT_NE(output.find("level = \"debug\"  # flag --set log.level=debug"), std::string::npos)
      << output;
  EXPECT_NE(output.find("password = \"<redacted>\"  # environment MGW_ADMIN_PASSWORD"),
            std::string::npos);
  EXPECT_EQ(output.find("test-password-1234"), std::string::npos);
}

TEST_P(DaemonTest, ServesHealthReadinessAndMetricsThenStopsOnSigterm) {
  ChildProcess child(Options({}));
  // Each daemon logs the URL of its admin endpoints once they are bound.
  auto match = child.WaitForLine(std::regex(R"(on http://127\.0\.0\.1:(\d+)/)"), 60s);
  ASSERT_TRUE(match) << child.output();
  uint16_t port = static_cast<uint16_t>(std::stoi((*match)[1]));

  EXPECT_EQ(HttpFetch("127.0.0.1", port, "GET", "/healthz").status, 200);
  // Readiness may lag liveness by a moment (e.g. the control plane waits for its dataplane);
  // /readyz must answer either way, and with a problem body when not ready.
  HttpResult ready = HttpFetch("127.0.0.1", port, "GET", "/readyz");
  EXPECT_TRUE(ready.status == 200 || ready.status == 503) << ready.status;
  if (ready.status == 503) {
    EXPECT_EQ(ready.content_type, "application/problem+json");
  }
  HttpResult metrics = HttpFetch("127.0.0.1", port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("mgw_build_info{"), std::string::npos);
  EXPECT_NE(metrics.body.find("process_cpu_seconds_total "), std::string::npos);
  std::string scrape = dir_.Write("scrape.txt", metrics.body);
  ChildProcess promtool({.args = {"/bin/sh", "-c", "promtool check metrics < " + scrape}});
  EXPECT_EQ(promtool.WaitForExit(30s), 0) << promtool.output() << metrics.body;

  child.Signal(SIGTERM);
  EXPECT_EQ(child.WaitForExit(30s), 0) << child.output();
  EXPECT_EQ(child.output().find("test-password-1234"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllDaemons, DaemonTest,
                         ::testing::Values(Daemon{"mgw-dataplane"}, Daemon{"mgw-controlplane"},
                                           Daemon{"mgw-recorder"}),
                         [](const auto& param_info) {
                           std::string name = param_info.param.program;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// dataplane.worker_cpus: each worker thread runs only on its configured CPU, and a CPU this
// process may not use stops start-up with the key named.
class DataplaneWorkerCpusTest : public DaemonTest {
 protected:
  static std::vector<int> AllowedCpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    EXPECT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
    return cpus;
  }
  // The CPUs thread `name` of `pid` may run on, as /proc prints them ("1", "0-3").
  static std::string ThreadCpus(pid_t pid, const std::string& name) {
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks)) {
      std::ifstream comm(task.path() / "comm");
      std::string comm_name;
      std::getline(comm, comm_name);
      if (comm_name != name) continue;
      std::ifstream status(task.path() / "status");
      for (std::string line; std::getline(status, line);) {
        if (line.rfind("Cpus_allowed_list:", 0) == 0) {
          return line.substr(line.find_first_not_of(" \t", 18));
        }
      }
    }
    return "";
  }
};

TEST_P(DataplaneWorkerCpusTest, WorkersRunOnlyOnTheirCpus) {
  const std::vector<int> allowed = AllowedCpus();
  ASSERT_FALSE(allowed.empty());
  const size_t workers = std::min<size_t>(2, allowed.size());
  std::string list;
  for (size_t w = 0; w < workers; ++w) {
    // Reversed, so the pinning is visibly not the scheduler's default order.
    list += (w > 0 ? "," : "") + std::to_string(allowed[workers - 1 - w]);
  }
  ChildProcess child(Options({"--set", "dataplane.workers=" + std::to_string(workers), "--set",
                              "dataplane.worker_cpus=" + list}));
  ASSERT_TRUE(child.WaitForLine(std::regex(R"(admin endpoints on http://)"), 60s))
      << child.output();
  for (size_t w = 0; w < workers; ++w) {
    EXPECT_EQ(ThreadCpus(child.pid(), "mgw-worker-" + std::to_string(w)),
              std::to_string(allowed[workers - 1 - w]))
        << "worker " << w << "\n"
        << child.output();
  }
  child.Signal(SIGTERM);
  EXPECT_EQ(child.WaitForExit(30s), 0) << child.output();
}

TEST_P(DataplaneWorkerCpusTest, BadCpuListsStopStartUp) {
  std::string output;
  EXPECT_EQ(RunToExit({"--set", "dataplane.worker_cpus=1000"}, &output), 78);
  EXPECT_NE(output.find("dataplane.worker_cpus: CPU 1000 is not one this process may run on"),
            std::string::npos)
      << output;
  EXPECT_EQ(RunToExit({"--set", "dataplane.worker_cpus=one"}, &output), 78);
  EXPECT_NE(output.find("dataplane.worker_cpus: expected CPU numbers, got \"one\""),
            std::string::npos)
      << output;
  EXPECT_EQ(RunToExit({"--set", "dataplane.worker_cpus=0,0"}, &output), 78);
  EXPECT_NE(output.find("expected 1 CPU number(s), one per worker"), std::string::npos) << output;
}

INSTANTIATE_TEST_SUITE_P(Dataplane, DataplaneWorkerCpusTest,
                         ::testing::Values(Daemon{"mgw-dataplane"}),
                         [](const auto&) { return std::string("mgw_dataplane"); });

}  // namespace
}  // namespace mgw::testing
