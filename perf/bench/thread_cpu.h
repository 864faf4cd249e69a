#pragma once

// CPU time of a process's threads from /proc/<pid>/task/*/stat (utime + stime).

#include <sys/types.h>

#include <map>
#include <string>

namespace mgw::bench {

struct ThreadCpu {
  std::string name;  // comm
  double seconds = 0;
};

// tid -> name and CPU seconds so far.
std::map<int, ThreadCpu> ReadThreadCpu(pid_t pid);
double ThreadCpuSeconds(pid_t pid, int tid);

}  // namespace mgw::bench
