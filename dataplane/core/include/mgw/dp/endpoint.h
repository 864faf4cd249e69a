#pragma once

// A UDP transport address (IPv4 or IPv6 plus port) as a small POD, so it can live in hash tables
// and output descriptors without allocation. IPv4 is held as an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d), which gives both families one comparison and one hash.

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

namespace mgw::dp {

struct Endpoint {
  std::array<uint8_t, 16> address{};  // network byte order
  uint16_t port = 0;                  // host byte order; 0 means "no endpoint"

  // `ipv4` is in host byte order (0xC6120001 is 198.18.0.1).
  static Endpoint FromIpv4(uint32_t ipv4, uint16_t port) {
    Endpoint e;
    e.address[10] = 0xff;
    e.address[11] = 0xff;
    e.address[12] = static_cast<uint8_t>(ipv4 >> 24);
    e.address[13] = static_cast<uint8_t>(ipv4 >> 16);
    e.address[14] = static_cast<uint8_t>(ipv4 >> 8);
    e.address[15] = static_cast<uint8_t>(ipv4);
    e.port = port;
    return e;
  }

  static Endpoint FromIpv6(std::span<const uint8_t, 16> bytes, uint16_t port) {
    Endpoint e;
    std::memcpy(e.address.data(), bytes.data(), 16);
    e.port = port;
    return e;
  }

  bool IsSet() const { return port != 0; }

  bool IsIpv4() const {
    static constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0,    0,
                                                              0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(address.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0;
  }

  // Host byte order; meaningful only when IsIpv4().
  uint32_t Ipv4() const {
    return (static_cast<uint32_t>(address[12]) << 24) | (static_cast<uint32_t>(address[13]) << 16) |
           (static_cast<uint32_t>(address[14]) << 8) | address[15];
  }

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// 64-bit mix of the address words and the port, for open-addressing tables.
struct EndpointHash {
  uint64_t operator()(const Endpoint& e) const {
    uint64_t hi = 0;
    uint64_t lo = 0;
    std::memcpy(&hi, e.address.data(), 8);
    std::memcpy(&lo, e.address.data() + 8, 8);
    uint64_t h = hi * 0x9E3779B97F4A7C15ull;
    h ^= (lo + e.port) * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 31);
  }
};

}  // namespace mgw::dp
