#pragma once

// A real mgw-dataplane child process for one benchmark point: started from a generated TOML
// configuration in a temporary directory, programmed over its control socket with ControlClient
// (one meeting, the Topology's publishers and subscribers), observed through /metrics (io
// counters) and /proc (CPU per thread), and stopped with SIGTERM.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "thread_cpu.h"
#include "topology.h"

namespace mgw::bench {

enum class SrtpMode { kOff, kAesCm, kGcm };
std::string ToString(SrtpMode mode);

struct DataplaneOptions {
  std::string binary;  // path of mgw-dataplane
  std::string backend = "uring";
  uint32_t workers = 1;
  // Table sizes (dataplane.max_participants / max_legs), raised for large topologies.
  uint32_t max_participants = 4096;
  uint32_t max_legs = 131072;
  // Socket backends: media address and port (127.0.0.1). dpdk: the port devargs and EAL args.
  uint16_t media_port = 0;
  std::string dpdk_port;
  std::vector<std::string> eal_args;
  std::vector<int> worker_cpus;          // dataplane.worker_cpus; empty: not pinned
  std::optional<uint32_t> idle_poll_us;  // dataplane.idle_poll_us (unset: the default)
  std::string srtp_protect = "openssl";  // dataplane.srtp_protect
};

class DataplaneProcess {
 public:
  // Starts the process and waits for its control socket; throws with the log's tail on failure.
  explicit DataplaneProcess(const DataplaneOptions& options);
  ~DataplaneProcess();  // SIGTERM, then SIGKILL after 5 s
  DataplaneProcess(const DataplaneProcess&) = delete;
  DataplaneProcess& operator=(const DataplaneProcess&) = delete;

  // Programs one meeting. Subscriber addresses: 127.1.x.y:sink_port (sockets) or 198.19.x.y
  // (dpdk). With SRTP every subscriber leg is protected (publishers send plain RTP, so the load
  // source needs no crypto and the per-subscriber protect dominates, as in a real meeting).
  // Throws with the dataplane's error (e.g. limit_exceeded) when a request fails.
  void Program(const Topology& topology, SrtpMode srtp, uint16_t sink_port, bool dpdk_addresses);

  struct IoCounters {
    double rx_packets = 0;
    double tx_packets = 0;
  };
  IoCounters ScrapeIo() const;
  // Non-zero drop counters (forwarder and backend), summed over workers: "reason" -> count.
  std::map<std::string, double> ScrapeDrops() const;
  std::map<int, ThreadCpu> Cpu() const { return ReadThreadCpu(pid_); }
  pid_t pid() const { return pid_; }
  std::string LogTail() const;

 private:
  std::string dir_;
  std::string socket_path_;
  uint16_t admin_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace mgw::bench
