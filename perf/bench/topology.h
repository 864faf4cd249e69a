#pragma once

// Who sends to whom in a benchmark meeting: N video publishers in groups of up to 49, each group
// watched by F subscribers that subscribe to every publisher of the group, so every publisher has
// exactly F legs and no subscriber exceeds the 49-feed limit. The same mapping drives the
// dataplane's programming, the kernel relay baseline and the pcap generator.

#include <cstdint>
#include <string>

namespace mgw::bench {

inline constexpr uint32_t kPublisherSsrcBase = 0x10000;
inline constexpr uint32_t kGroupSize = 49;

struct Topology {
  uint32_t publishers = 10;
  uint32_t fanout = 16;

  uint32_t groups() const { return (publishers + kGroupSize - 1) / kGroupSize; }
  uint32_t subscribers() const { return groups() * fanout; }
  static uint32_t PublisherSsrc(uint32_t p) { return kPublisherSsrcBase + p; }
  // The j-th subscriber (0 <= j < fanout) of publisher p.
  uint32_t SubscriberOf(uint32_t p, uint32_t j) const { return (p / kGroupSize) * fanout + j; }
  // Subscriber k's IPv4 address (host byte order): 127.1.x.y on loopback, 198.19.x.y (off-link,
  // reached through the gateway) for dpdk.
  static uint32_t LoopbackAddress(uint32_t k) { return 0x7F010000u + k + 1; }
  static uint32_t BenchmarkNetAddress(uint32_t k) { return 0xC6130000u + k + 1; }
  static std::string PublisherName(uint32_t p) { return "pub" + std::to_string(p); }
  static std::string SubscriberName(uint32_t k) { return "sub" + std::to_string(k); }
};

std::string Ipv4ToString(uint32_t address);

}  // namespace mgw::bench
