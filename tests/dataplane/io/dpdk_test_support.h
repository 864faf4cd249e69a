#pragma once

// EAL arguments and frame helpers shared by the dpdk tests.

#include <rte_mbuf.h>
#include <sched.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace mgw::io::testing {

// No hugepages, no shared files (--in-memory is refused together with --no-huge in DPDK 22.11),
// a per-process file prefix, no PCI scan, and the main lcore allowed on every CPU this process
// may use rather than pinned to one.
inline std::vector<std::string> TestEalArgs() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  sched_getaffinity(0, sizeof(cpus), &cpus);
  std::string list;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &cpus)) continue;
    if (!list.empty()) list += ",";
    list += std::to_string(cpu);
  }
  return {"--no-huge",
          "-m",
          "256",
          "--no-shconf",
          "--file-prefix=mgwtest-" + std::to_string(getpid()),
          "--no-pci",
          "--no-telemetry",
          "--lcores=0@(" + list + ")",
          "--log-level=lib.eal:warning"};
}

// The frame an mbuf chain carries, as one vector.
inline std::vector<uint8_t> FrameBytes(const rte_mbuf* mbuf) {
  std::vector<uint8_t> bytes;
  for (const rte_mbuf* segment = mbuf; segment != nullptr; segment = segment->next) {
    const auto* data = rte_pktmbuf_mtod(segment, const uint8_t*);
    bytes.insert(bytes.end(), data, data + segment->data_len);
  }
  return bytes;
}

}  // namespace mgw::io::testing
