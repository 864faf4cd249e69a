#pragma once

// The subscribers' end for the socket backends: one thread on one UDP socket bound to the
// wildcard address (every subscriber is a distinct 127.1.x.y address on its port), receiving with
// recvmmsg and counting the packets and latency of the current trial.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#include "latency_histogram.h"

namespace mgw::bench {

class UdpSink {
 public:
  UdpSink();
  ~UdpSink();
  UdpSink(const UdpSink&) = delete;
  UdpSink& operator=(const UdpSink&) = delete;

  uint16_t port() const { return port_; }
  std::thread& thread() { return thread_; }

  // Starts counting packets stamped with `trial`; others are ignored.
  void BeginTrial(uint8_t trial);
  struct Counts {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    double p50_us = 0, p99_us = 0, p999_us = 0;
  };
  Counts EndTrial();
  // Returns once nothing has arrived for `quiet_ms` (queues drained), or after `max_ms`.
  void WaitIdle(int quiet_ms, int max_ms) const;

 private:
  void Loop();

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> last_packet_ns_{0};
  std::mutex mutex_;  // guards the trial's figures against EndTrial
  uint8_t trial_ = 0;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  LatencyHistogram histogram_;
  std::thread thread_;
};

}  // namespace mgw::bench
