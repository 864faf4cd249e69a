#pragma once

// Writes the pcap that DPDK's net_pcap replays with infinite_rx: Ethernet/IPv4/UDP frames from
// publishers at 198.18.1.x to the dataplane at 198.18.0.2:40000, RTP load packets of one size,
// round-robin over the publishers given (one file per worker queue).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "topology.h"

namespace mgw::bench {

inline constexpr size_t kFrameHeadersSize = 14 + 20 + 8;  // Ethernet, IPv4, UDP: the RTP follows

// Writes one frame (kFrameHeadersSize + packet_size bytes) from publisher `p` at 198.18.1.x to the
// dataplane at 198.18.0.2:40000, its RTP a load packet with sequence number 1 and timestamp 0
// (StampLoadPacket at out + kFrameHeadersSize updates them).
void WritePublisherFrame(uint8_t* out, size_t packet_size, uint32_t p);

// Publishers `first`, `first + step`, ... below topology.publishers; `frames` frames in all.
void WritePublisherPcap(const std::string& path, const Topology& topology, size_t packet_size,
                        uint32_t first, uint32_t step, size_t frames);

}  // namespace mgw::bench
