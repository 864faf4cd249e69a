#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace mgw::testing {

ChildProcess::ChildProcess(Options options) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool drop = false;
    for (const auto& unset : options.unset_env) drop |= name == unset;
    for (const auto& [key, value] : options.env) drop |= name == key;
    if (!drop) env_strings.push_back(entry);
  }
  for (const auto& [key, value] : options.env) {
    env_strings.push_back(key);
    env_strings.back().append("=").append(value);
  }
  std::vector<char*> argv;
  argv.reserve(options.args.size() + 1);
  for (auto& arg : options.args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    // The test process may block signals in threads; the child starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(argv[0], argv.data(), envp.data());
    std::fprintf(stderr, "execve %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  fd_ = fds[0];
}

ChildProcess::~ChildProcess() {
  if (!status_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (fd_ >= 0) close(fd_);
}

bool ChildProcess::ReadSome(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() < 0 || fd_ < 0) return false;
  pollfd pfd{fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
  char buffer[4096];
  ssize_t n = read(fd_, buffer, sizeof buffer);
  if (n <= 0) {
    close(fd_);
    fd_ = -1;
    return false;
  }
  output_.append(buffer, static_cast<size_t>(n));
  return true;
}

std::optional<std::smatch> ChildProcess::WaitForLine(const std::regex& pattern,
                                                     std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    size_t newline;
    while ((newline = output_.find('\n', scanned_)) != std::string::npos) {
      line_ = output_.substr(scanned_, newline - scanned_);
      scanned_ = newline + 1;
      std::smatch match;
      if (std::regex_search(line_, match, pattern)) return match;
    }
    if (!ReadSome(deadline)) return std::nullopt;
  }
}

std::optional<int> ChildProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Drain output until EOF (the child closed it by exiting), then reap.
  while (fd_ >= 0 && std::chrono::steady_clock::now() < deadline) ReadSome(deadline);
  // A pidfd becomes readable when the process exits: wait on it with the remaining time.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{pidfd, POLLIN, 0};
    poll(&pfd, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    close(pidfd);
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return status_;
}

void ChildProcess::Signal(int signo) {
  if (!status_ && pid_ > 0) kill(pid_, signo);
}

std::string BinaryPath(const std::string& name) {
  const char* dir = std::getenv("MGW_BINARY_DIR");
  if (dir == nullptr) throw std::runtime_error("MGW_BINARY_DIR is not set (run through ctest)");
  return std::string(dir) + "/bin/" + name;
}

std::string SourcePath(const std::string& relative) {
  const char* dir = std::getenv("MGW_SOURCE_DIR");
  if (dir == nullptr) throw std::runtime_error("MGW_SOURCE_DIR is not set (run through ctest)");
  return std::string(dir) + "/" + relative;
}

}  // namespace mgw::testing
