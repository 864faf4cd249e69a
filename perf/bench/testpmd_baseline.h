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

}  // namespace mgw::bench
