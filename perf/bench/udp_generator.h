#pragma once

// The load source for the socket backends: one thread sending the publishers' RTP to one target
// with sendmmsg, in bursts of 32 paced to an offered rate (or as fast as it can). Publishers are
// spread over up to 64 source sockets so SO_REUSEPORT spreads them over the dataplane's workers.

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
  // Sends for `seconds` at `rate_pps` (0: as fast as possible), stamping packets with `trial`.
  Result Run(double rate_pps, double seconds, uint8_t trial);

 private:
  Topology topology_;
  size_t packet_size_;
  uint32_t target_address_;
  uint16_t target_port_;
  std::vector<int> sockets_;
  std::vector<uint16_t> seq_;  // per publisher
};

}  // namespace mgw::bench
