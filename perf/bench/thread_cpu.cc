#include "thread_cpu.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mgw::bench {
namespace {

bool ReadStat(const std::string& path, ThreadCpu* out) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return false;
  const size_t open = line.find('(');
  const size_t close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return false;
  out->name = line.substr(open + 1, close - open - 1);
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  out->seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return true;
}

}  // namespace

std::map<int, ThreadCpu> ReadThreadCpu(pid_t pid) {
  std::map<int, ThreadCpu> threads;
  std::error_code ec;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    ThreadCpu cpu;
    if (ReadStat(entry.path().string() + "/stat", &cpu)) {
      threads[std::stoi(entry.path().filename().string())] = cpu;
    }
  }
  return threads;
}

double ThreadCpuSeconds(pid_t pid, int tid) {
  ThreadCpu cpu;
  ReadStat("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat", &cpu);
  return cpu.seconds;
}

}  // namespace mgw::bench
