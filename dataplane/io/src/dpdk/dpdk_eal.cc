#include "dpdk/dpdk_eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace mgw::io {
namespace {

struct EalState {
  std::mutex mutex;
  bool initialised = false;
  std::vector<std::string> args;
  std::string runtime_dir;
};

EalState& State() {
  static EalState* state = new EalState();  // never destroyed: used by the atexit hook
  return *state;
}

void CleanUpEal() {
  EalState& state = State();
  rte_eal_cleanup();
  if (!state.runtime_dir.empty()) rmdir(state.runtime_dir.c_str());
}

}  // namespace

bool EnsureEal(const std::vector<std::string>& args, std::string* error) {
  EalState& state = State();
  std::lock_guard lock(state.mutex);
  if (state.initialised) {
    if (args == state.args) return true;
    *error = "EAL already initialised in this process with other arguments";
    return false;
  }
  // rte_eal_init permutes argv and may keep pointers into it: the strings live in `state`.
  state.args = args;
  std::vector<char*> argv;
  static char program[] = "mgw-dataplane";
  argv.push_back(program);
  for (std::string& arg : state.args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(argv.size() - 1), argv.data()) < 0) {
    *error = std::string("rte_eal_init: ") + rte_strerror(rte_errno) +
             " (with --no-huge use --no-shconf, not --in-memory: DPDK 22.11 rejects "
             "--in-memory with the legacy memory mode --no-huge implies)";
    state.args.clear();
    return false;
  }
  state.args = args;
  state.initialised = true;
  state.runtime_dir = rte_eal_get_runtime_dir();
  std::atexit(CleanUpEal);
  return true;
}

}  // namespace mgw::io
