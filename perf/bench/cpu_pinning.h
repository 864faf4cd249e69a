#pragma once

// Where mgw-bench's socket trials run: the load side (the generator on the calling thread, the
// sink's thread) on the first CPU, the forwarding side (mgw-dataplane's worker, or the kernel
// relay's thread: each side of a ratio gets the same placement) on the last. On a 2-core machine
// the three busy threads otherwise share both cores at the scheduler's whim, and the ratios and
// latency tails measure that.

#include <pthread.h>

#include <thread>

namespace mgw::bench {

inline constexpr int kLoadCpu = 0;
int ForwardingCpu();  // the last CPU; -1 on a 1-CPU machine (no pinning)

// Pins a thread to one CPU; false when the kernel refuses. cpu < 0: to every CPU (unpinned).
bool PinThread(pthread_t thread, int cpu);
inline bool PinThread(std::thread& thread, int cpu) {
  return PinThread(thread.native_handle(), cpu);
}
inline bool PinCurrentThread(int cpu) { return PinThread(pthread_self(), cpu); }

}  // namespace mgw::bench
