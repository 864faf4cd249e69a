#pragma once

// A network namespace with a veth pair, created for one test process and removed by its
// destructor: "mgwtest-<pid>", kernel side vk0 (198.18.0.1/24 and 198.18.0.3/24), the other end
// vd0 for DPDK's net_af_packet, IPv6 off so that nothing but the test's traffic crosses the pair.
// The constructing thread moves into the namespace (af_packet resolves its interface, and sets it
// up at start and stop, in the namespace of the calling thread) and moves back on destruction.

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace mgw::io::testing {

class TestNetns {
 public:
  TestNetns() : name_("mgwtest-" + std::to_string(getpid())) {
    if (!Run("ip netns add " + name_)) return;
    created_ = true;
    const std::string in = "ip -n " + name_ + " ";
    if (!Run("ip netns exec " + name_ +
             " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1") ||
        !Run(in + "link set lo up") || !Run(in + "link add vk0 type veth peer name vd0") ||
        !Run(in + "addr add 198.18.0.1/24 dev vk0") ||
        !Run(in + "addr add 198.18.0.3/24 dev vk0") || !Run(in + "link set vk0 up") ||
        !Run(in + "link set vd0 up")) {
      return;
    }
    original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (original_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
      error_ = "cannot enter network namespace " + name_;
      if (target >= 0) close(target);
      return;
    }
    close(target);
    entered_ = true;
  }
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;
  ~TestNetns() {
    if (entered_) setns(original_, CLONE_NEWNET);
    if (original_ >= 0) close(original_);
    // Deleting the namespace destroys both veth ends.
    if (created_) Run("ip netns del " + name_);
  }

  bool ok() const { return entered_; }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }

 private:
  bool Run(const std::string& command) {
    if (std::system((command + " >/dev/null 2>&1").c_str()) == 0) return true;
    if (error_.empty()) error_ = "failed: " + command;
    return false;
  }

  std::string name_;
  std::string error_;
  int original_ = -1;
  bool created_ = false;
  bool entered_ = false;
};

}  // namespace mgw::io::testing
