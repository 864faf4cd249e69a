#pragma once

// mgw-bench's command line: the grid (every combination of the listed values is one point) and
// how each point is measured.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mgw::bench {

struct BenchOptions {
  std::vector<std::string> backends{"dpdk", "uring", "posix"};
  std::vector<uint32_t> workers{1};
  std::vector<uint32_t> fanouts{16};
  std::vector<size_t> sizes{1200};
  std::vector<std::string> srtp{"off"};
  std::vector<uint32_t> publishers{10};
  double rate_pps = 0;  // fixed offered ingress rate; 0: --search
  int search_steps = 5;
  double trial_seconds = 0.5;
  // Socket backends: the latency trial at half the maximum rate (and the relay's). Its p99 is
  // that of at least 100,000 outputs at fan-out 16, so one scheduling stall of the shared
  // machine does not decide it.
  double latency_seconds = 2;
  // Socket backends: the point and its kernel relay baseline are measured this many times, in
  // turn; the ratio is the median of the pairs' ratios (the machine's drift hits both alike).
  int repeats = 3;
  bool quick = false;
  bool baselines = true;
  // dpdk, one worker, generated devices: latency at half the maximum rate through a net_memif
  // link to mgw-dpdk-probe (and testpmd's through the same link as the baseline).
  bool dpdk_latency = true;
  // Socket backends: the load on the first CPU, the forwarding thread (worker or relay) on the
  // last (cpu_pinning.h).
  bool pin = true;
  // Socket backends: dataplane.idle_poll_us of the dataplane under test (unset: its default).
  std::optional<uint32_t> idle_poll_us;
  // dataplane.srtp_protect of the dataplane under test: "openssl" or "libsrtp".
  std::string srtp_protect = "openssl";
  std::string out_dir = "mgw-bench-out";
  std::string dataplane;  // mgw-dataplane binary; default: next to mgw-bench
  // dpdk: a port on a lab machine instead of the generated net_pcap device; the load then comes
  // from an external generator (see perf/README.md) and egress is read from the io counters.
  std::string dpdk_port;
  std::vector<std::string> dpdk_eal;
  std::string command;  // as typed, for the report
};

// Parses argv; exits on --help or a bad option (CLI11).
BenchOptions ParseBenchOptions(int argc, char** argv);

}  // namespace mgw::bench
