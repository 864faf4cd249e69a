#pragma once

// The receiver under test as a child process: started pinned to one CPU through taskset, its CPU
// time (utime + stime of all its threads, /proc/<pid>/stat), its UDP sockets' receive queues and
// drop counters (/proc/net/udp, by local port), stopped with a signal.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace mgw::recbench {

struct UdpPortStats {
  int sockets = 0;        // sockets found on the ports
  uint64_t rx_queue = 0;  // bytes waiting in their receive queues
  uint64_t drops = 0;     // datagrams the kernel dropped (receive buffer full)
};

UdpPortStats ReadUdpPortStats(const std::set<uint16_t>& ports);

// `count` consecutive UDP ports (from an even one) nobody has bound on 127.0.0.1 right now.
uint16_t FindFreeUdpPorts(int count);

class ReceiverProcess {
 public:
  // Runs `taskset -c cpu argv...` (no taskset when cpu < 0) at nice value `nice` (absolute, not
  // inherited from the harness), stdout and stderr into `log`.
  ReceiverProcess(const std::vector<std::string>& argv, int cpu, int nice, const std::string& log);
  ~ReceiverProcess();  // SIGKILLs a child still running
  ReceiverProcess(const ReceiverProcess&) = delete;
  ReceiverProcess& operator=(const ReceiverProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  double CpuSeconds() const;
  // Sends `signal`, waits up to `timeout_s` for the exit (calling `nudge` every 100 ms meanwhile,
  // when given); SIGKILL after. The exit status, or -1 when it had to be killed.
  int Stop(int signal, double timeout_s, const std::function<void()>& nudge = {});

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace mgw::recbench
