#pragma once

// The framework ceiling: dpdk-testpmd in io forward mode on the same virtual device as the
// dataplane (net_pcap replaying the same pcap, TX dropped by the PMD), one forwarding lcore.

#include <optional>
#include <string>

namespace mgw::bench {

struct TestpmdResult {
  std::optional<double> tx_pps;  // empty when testpmd is missing or failed
  std::string note;              // why, when empty
};

TestpmdResult MeasureTestpmdIoForward(const std::string& port_devargs, double seconds);

// dpdk-testpmd forwarding (io, port looped onto itself) on `port_devargs` until destroyed: the
// path without mgw for the latency trials, where mgw-dpdk-probe is on the other end of the link.
// Shared EAL configuration (no --no-shconf): net_memif needs the multi-process channel.
class TestpmdForwarder {
 public:
  // Throws when dpdk-testpmd is missing.
  explicit TestpmdForwarder(const std::string& port_devargs);
  ~TestpmdForwarder();  // SIGINT, then SIGKILL
  TestpmdForwarder(const TestpmdForwarder&) = delete;
  TestpmdForwarder& operator=(const TestpmdForwarder&) = delete;

 private:
  int pid_ = -1;
  std::string log_;
};

}  // namespace mgw::bench
