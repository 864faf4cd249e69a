#include "cpu_pinning.h"

#include <sched.h>

#include <vector>

namespace mgw::bench {
namespace {

struct StartCpus {
  cpu_set_t set;
  std::vector<int> list;
};

// Read once, before any thread is pinned.
const StartCpus& Start() {
  static const StartCpus start = [] {
    StartCpus s;
    CPU_ZERO(&s.set);
    if (sched_getaffinity(0, sizeof s.set, &s.set) != 0) CPU_SET(0, &s.set);
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &s.set)) s.list.push_back(c);
    }
    return s;
  }();
  return start;
}

}  // namespace

int LoadCpu() { return Start().list.front(); }

int ForwardingCpu() {
  const std::vector<int>& list = Start().list;
  return list.size() >= 2 ? list.back() : -1;
}

std::string StartCpuList() {
  std::string text;
  for (int c : Start().list) {
    if (!text.empty()) text += ',';
    text += std::to_string(c);
  }
  return text;
}

bool PinThread(pthread_t thread, int cpu) {
  cpu_set_t set = Start().set;
  if (cpu >= 0) {
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
  }
  return pthread_setaffinity_np(thread, sizeof set, &set) == 0;
}

}  // namespace mgw::bench
