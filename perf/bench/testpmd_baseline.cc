#include "testpmd_baseline.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cpu_pinning.h"

namespace mgw::bench {
namespace {

std::string FindTestpmd() {
  for (const char* path : {"/usr/bin/dpdk-testpmd", "/usr/local/bin/dpdk-testpmd"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

// Starts dpdk-testpmd io-forwarding (its port looped onto itself), output to `log`, stdin from
// /dev/null; `eal` and `options` are added to the EAL and testpmd arguments. The main lcore is
// on the load CPU, the forwarding lcore on the forwarding CPU (cpu_pinning.h).
pid_t StartTestpmd(const std::string& binary, const std::string& log,
                   const std::vector<std::string>& eal, const std::vector<std::string>& options) {
  const int forwarding = ForwardingCpu() >= 0 ? ForwardingCpu() : LoadCpu();
  std::vector<std::string> args = {
      "/usr/bin/stdbuf",
      "-oL",
      binary,
      "--no-huge",
      "-m",
      "512",
      "--no-pci",
      "--lcores",
      "0@" + std::to_string(LoadCpu()) + ",1@" + std::to_string(forwarding)};
  args.insert(args.end(), eal.begin(), eal.end());
  args.push_back("--");
  for (const char* o :
       {"--forward-mode=io", "--port-topology=loop", "--auto-start", "--total-num-mbufs=16384"}) {
    args.push_back(o);
  }
  args.insert(args.end(), options.begin(), options.end());
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) _exit(126);
    if (!freopen("/dev/null", "r", stdin)) _exit(126);
    // Line-buffered through stdbuf: testpmd's stdout is a file here, and its periodic
    // statistics must reach it before the SIGINT.
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// SIGINT (testpmd prints its totals and closes the port), then SIGKILL after 3 s.
void StopTestpmd(pid_t pid) {
  kill(pid, SIGINT);
  for (int i = 0; i < 60 && waitpid(pid, nullptr, WNOHANG) != pid; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (i == 59) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
}

}  // namespace

TestpmdResult MeasureTestpmdIoForward(const std::string& port_devargs, double seconds) {
  const std::string binary = FindTestpmd();
  if (binary.empty()) {
    return {std::nullopt,
            "dpdk-testpmd not found (Debian package dpdk-dev); framework baseline skipped"};
  }
  const std::string log = "/tmp/mgw-bench-testpmd-" + std::to_string(getpid()) + ".log";
  const std::string prefix = "--file-prefix=mgwbtp" + std::to_string(getpid());
  const pid_t pid = StartTestpmd(binary, log, {"--no-shconf", prefix, "--vdev=" + port_devargs},
                                 {"--stats-period=1", "--no-lsc-interrupt"});
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds + 1.5));
  StopTestpmd(pid);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(log.c_str());
  // Each period prints "Tx-pps: N"; the first one covers start-up, so take the best of the rest.
  std::vector<double> rates;
  const std::string all = text.str();
  std::regex pattern("Tx-pps:\\s+([0-9]+)");
  for (auto it = std::sregex_iterator(all.begin(), all.end(), pattern);
       it != std::sregex_iterator(); ++it) {
    rates.push_back(std::strtod((*it)[1].str().c_str(), nullptr));
  }
  if (rates.size() < 2) {
    return {std::nullopt, "dpdk-testpmd printed no rates: " + all.substr(0, 400)};
  }
  std::sort(rates.begin() + 1, rates.end());
  return {rates[1 + (rates.size() - 1) / 2], ""};  // median of the periods after the first
}

TestpmdForwarder::TestpmdForwarder(const std::string& port_devargs) {
  const std::string binary = FindTestpmd();
  if (binary.empty()) throw std::runtime_error("dpdk-testpmd not found (Debian package dpdk-dev)");
  log_ = "/tmp/mgw-bench-testpmd-fwd-" + std::to_string(getpid()) + ".log";
  // --stats-period keeps testpmd running without a terminal (else it exits at stdin's EOF); the
  // link-state interrupt is what brings a memif link up.
  pid_ = StartTestpmd(binary, log_,
                      {"--file-prefix=mgwbtf" + std::to_string(getpid()), "--vdev=" + port_devargs},
                      {"--stats-period=10"});
}

TestpmdForwarder::~TestpmdForwarder() {
  if (pid_ <= 0) return;
  StopTestpmd(pid_);
  std::remove(log_.c_str());
}

}  // namespace mgw::bench
