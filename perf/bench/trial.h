#pragma once

// One load trial against a UDP target (mgw-dataplane on a socket backend, or the kernel relay
// baseline) and the search for the highest offered rate with loss under 0.1%.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "topology.h"
#include "udp_generator.h"
#include "udp_sink.h"

namespace mgw::bench {

inline constexpr double kLossThreshold = 0.001;

struct TrialResult {
  double offered_pps = 0;  // requested (0: as fast as possible)
  double ingress_pps = 0;  // what the generator sent
  double egress_pps = 0;   // what the sink received
  double loss = 0;         // 1 - received / (sent * fanout)
  double p50_us = 0, p99_us = 0, p999_us = 0;
  std::map<std::string, double> cpu;  // busy threads of the target: "name/tid" -> CPU share
};

// tid -> (thread name, CPU seconds so far) of the process under test.
using CpuSnapshot = std::function<std::map<int, std::pair<std::string, double>>()>;

class SocketTrials {
 public:
  SocketTrials(const Topology& topology, size_t packet_size, uint16_t target_port, UdpSink& sink,
               double seconds, CpuSnapshot cpu_snapshot);

  // `burst`: packets per paced send (see UdpGenerator); 1 for latency trials. `seconds`: the
  // trial's length when not the default.
  TrialResult Run(double rate_pps, size_t burst = UdpGenerator::kMaxBurst, double seconds = 0);
  // Blast, then bisect (`steps` times) for the highest rate with loss < 0.1%; every trial is
  // appended to `all`. The returned result is the best passing trial (or the least lossy one).
  TrialResult Search(int steps, std::vector<TrialResult>* all);

 private:
  Topology topology_;
  UdpGenerator generator_;
  UdpSink& sink_;
  double seconds_;
  CpuSnapshot cpu_snapshot_;
  uint8_t trial_ = 0;
};

}  // namespace mgw::bench
