#pragma once

// The kernel ceiling: the smallest forwarder that does what mgw's socket backends do, and no
// more. One thread receives a burst with recvmmsg and, for each packet, sends the F subscriber
// copies (a 12-byte rewritten header + the shared rest of the packet, two iovecs) with sendmmsg;
// the fan-out table is the benchmark's Topology.

#include <atomic>
#include <cstdint>
#include <thread>

#include "topology.h"

namespace mgw::bench {

class KernelRelay {
 public:
  // Receives on 127.0.0.1:<port()>; sends to each subscriber's loopback address at sink_port.
  // `cpu` >= 0 pins the relay's thread there (cpu_pinning.h).
  KernelRelay(const Topology& topology, uint16_t sink_port, int cpu = -1);
  ~KernelRelay();
  KernelRelay(const KernelRelay&) = delete;
  KernelRelay& operator=(const KernelRelay&) = delete;

  uint16_t port() const { return port_; }
  // The relay thread's CPU time so far (seconds).
  double CpuSeconds() const;

 private:
  void Loop();

  Topology topology_;
  uint16_t sink_port_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> tid_{0};
  std::thread thread_;
};

}  // namespace mgw::bench
