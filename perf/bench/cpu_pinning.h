#pragma once

// Where mgw-bench's busy threads run, within the CPUs the process was started on (so `taskset`
// around mgw-bench still decides the machine's share): the load side (the socket generator on
// the calling thread, the sink's thread, mgw-dpdk-probe, testpmd's main lcore) on the first of
// them, the forwarding side (mgw-dataplane's worker, the kernel relay's thread, testpmd's
// forwarding lcore: each side of a ratio gets the same placement) on the last. On a 2-core
// machine the three busy threads of a socket trial otherwise share both cores at the
// scheduler's whim, and the ratios and latency tails measure that.

#include <pthread.h>

#include <string>
#include <thread>

namespace mgw::bench {

int LoadCpu();
int ForwardingCpu();  // -1 when the process may run on one CPU only (no pinning)
// The CPUs the process started with, as DPDK's --lcores wants a set: "0,1".
std::string StartCpuList();

// Pins a thread to one CPU; false when the kernel refuses. cpu < 0: back to the CPUs the process
// started with.
bool PinThread(pthread_t thread, int cpu);
inline bool PinThread(std::thread& thread, int cpu) {
  return PinThread(thread.native_handle(), cpu);
}
inline bool PinCurrentThread(int cpu) { return PinThread(pthread_self(), cpu); }

}  // namespace mgw::bench
