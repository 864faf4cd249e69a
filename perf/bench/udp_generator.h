#pragma once

// The load source for the socket backends: one thread sending the publishers' RTP to one target
// with sendmmsg, in bursts of 32 paced to an offered rate (or as fast as it can), or one packet at
// a time for latency: a burst of 32 fanned out to 16 is 512 datagrams, and the last of them waits
// for the other 511 wherever it goes, so burst pacing measures the burst, not the path. Publishers
// are spread over up to 64 source sockets so SO_REUSEPORT spreads them over the dataplane's
// workers.

#include <atomic>
#include <cstdint>
#include <vector>

#include "topology.h"

namespace mgw::bench {

class UdpGenerator {
 public:
  UdpGenerator(const Topology& topology, size_t packet_size, uint32_t target_address,
               uint16_t target_port);
  ~UdpGenerator();
  UdpGenerator(const UdpGenerator&) = delete;
  UdpGenerator& operator=(const UdpGenerator&) = delete;

  struct Result {
    uint64_t sent = 0;
    double seconds = 0;
  };
  static constexpr size_t kMaxBurst = 32;
  // Sends for `seconds` at `rate_pps` (0: as fast as possible) in bursts of `burst` packets
  // (1 to kMaxBurst), stamping packets with `trial`.
  Result Run(double rate_pps, double seconds, uint8_t trial, size_t burst = kMaxBurst);

 private:
  Topology topology_;
  size_t packet_size_;
  uint32_t target_address_;
  uint16_t target_port_;
  std::vector<int> sockets_;
  std::vector<uint32_t> packets_;  // sent per publisher: its sequence number and timestamp
};

}  // namespace mgw::bench
