#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace mgw::testing {

// A real child process (fork/exec) whose stdout and stderr are captured through one pipe.
// Waiting for output is event-driven (poll on the pipe with a deadline), never a fixed sleep.
class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> args;                         // args[0] is the program path
    std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing) ours
    std::vector<std::string> unset_env;                    // removed from ours
  };

  explicit ChildProcess(Options options);
  ~ChildProcess();  // SIGKILL and reap if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Reads output until a line matches `pattern`; returns its match, or nullopt at the deadline or
  // when the process closes its output first.
  std::optional<std::smatch> WaitForLine(const std::regex& pattern,
                                         std::chrono::milliseconds timeout);
  // Waits for exit; returns the exit status (128+signal when killed), nullopt at the deadline.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);
  void Signal(int signo);

  // Everything read so far (including output read while waiting for exit).
  const std::string& output() const { return output_; }

 private:
  bool ReadSome(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int fd_ = -1;
  std::optional<int> status_;
  std::string output_;
  size_t scanned_ = 0;  // output_ before this offset has been matched against
  std::string line_;    // storage for the last matched line (smatch points into it)
};

// The path of an mgw executable in the build tree (MGW_BINARY_DIR/bin/<name>).
std::string BinaryPath(const std::string& name);
// The source tree (MGW_SOURCE_DIR).
std::string SourcePath(const std::string& relative);

}  // namespace mgw::testing
