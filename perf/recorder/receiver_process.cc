#include "receiver_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mgw::recbench {

UdpPortStats ReadUdpPortStats(const std::set<uint16_t>& ports) {
  UdpPortStats stats;
  for (const char* file : {"/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      // ref pointer drops
      std::istringstream fields(line);
      std::string sl, local, remote, st, queues, timer, retransmit, uid, timeout, inode, ref,
          pointer, drops;
      fields >> sl >> local >> remote >> st >> queues >> timer >> retransmit >> uid >> timeout >>
          inode >> ref >> pointer >> drops;
      const size_t colon = local.rfind(':');
      if (colon == std::string::npos || drops.empty()) continue;
      const auto port = static_cast<uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16));
      if (!ports.contains(port)) continue;
      ++stats.sockets;
      const size_t q = queues.find(':');
      stats.rx_queue += std::stoull(queues.substr(q + 1), nullptr, 16);
      stats.drops += std::stoull(drops);
    }
  }
  return stats;
}

uint16_t FindFreeUdpPorts(int count) {
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto base = static_cast<uint16_t>(
        20000 + 2 * std::uniform_int_distribution<int>(0, (40000 - count) / 2)(random));
    bool free = true;
    for (int i = 0; i < count && free; ++i) {
      const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(base + i));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      close(fd);
    }
    if (free) return base;
  }
  throw std::runtime_error("no range of free UDP ports found");
}

ReceiverProcess::ReceiverProcess(const std::vector<std::string>& argv, int cpu, int nice,
                                 const std::string& log) {
  std::vector<std::string> full;
  if (cpu >= 0) full = {"taskset", "-c", std::to_string(cpu)};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (std::string& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) throw std::runtime_error("open " + log + ": " + std::strerror(errno));
  pid_ = fork();
  if (pid_ < 0) {
    close(out);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid_ == 0) {
    setpriority(PRIO_PROCESS, 0, nice);
    dup2(out, 1);
    dup2(out, 2);
    const int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out);
}

ReceiverProcess::~ReceiverProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ReceiverProcess::Running() {
  if (reaped_) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

double ReceiverProcess::CpuSeconds() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int ReceiverProcess::Stop(int signal, double timeout_s, const std::function<void()>& nudge) {
  if (!reaped_) kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int>(timeout_s * 1e3));
  auto next_nudge = std::chrono::steady_clock::now();
  while (Running()) {
    if (nudge && std::chrono::steady_clock::now() >= next_nudge) {
      nudge();
      next_nudge += std::chrono::milliseconds(100);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      reaped_ = true;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the exit
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

}  // namespace mgw::recbench
