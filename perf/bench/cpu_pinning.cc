#include "cpu_pinning.h"

#include <sched.h>

namespace mgw::bench {

int ForwardingCpu() {
  const unsigned cpus = std::thread::hardware_concurrency();
  return cpus >= 2 ? static_cast<int>(cpus - 1) : -1;
}

bool PinThread(pthread_t thread, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) {
    CPU_SET(cpu, &set);
  } else {
    const unsigned cpus = std::thread::hardware_concurrency();
    for (unsigned c = 0; c < cpus && c < CPU_SETSIZE; ++c) CPU_SET(c, &set);
  }
  return pthread_setaffinity_np(thread, sizeof set, &set) == 0;
}

}  // namespace mgw::bench
