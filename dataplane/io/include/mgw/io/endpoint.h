#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mgw::io {

enum class IpFamily : uint8_t { kNone = 0, kIpv4 = 4, kIpv6 = 6 };

// An IPv4 or IPv6 address, network byte order. IPv4 uses bytes[0..3]; the rest stay zero so that
// defaulted equality is exact. Trivially copyable, 17 bytes.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  IpFamily family = IpFamily::kNone;

  // `host_order` as in 0xC6120002 for 198.18.0.2.
  static IpAddress V4(uint32_t host_order);
  static IpAddress V6(const std::array<uint8_t, 16>& network_order);
  // Dotted quad or RFC 4291 text; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool is_v4() const { return family == IpFamily::kIpv4; }
  bool is_v6() const { return family == IpFamily::kIpv6; }
  // Host order; 0 unless IPv4.
  uint32_t v4() const;
  bool is_unspecified() const;
  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// A UDP endpoint: address plus port (host order). The descriptor the backends fill on receive and
// read on send.
struct Endpoint {
  IpAddress address;
  uint16_t port = 0;

  static Endpoint V4(uint32_t host_order_address, uint16_t port);
  // "198.18.0.2:5004" or "[::1]:5004".
  static std::optional<Endpoint> Parse(std::string_view text);
  std::string ToString() const;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Converts a kernel socket address (AF_INET or AF_INET6; v4-mapped IPv6 becomes IPv4). Returns
// std::nullopt for other families.
std::optional<Endpoint> EndpointFromSockaddr(const sockaddr* address, socklen_t length);

// Writes `endpoint` as a socket address for a socket of `socket_family` (AF_INET or AF_INET6); an
// IPv4 endpoint is v4-mapped for an AF_INET6 socket. Returns the length written, or 0 when the
// endpoint cannot be reached from such a socket (IPv6 on an AF_INET socket, or no address).
socklen_t EndpointToSockaddr(const Endpoint& endpoint, int socket_family, sockaddr_storage* out);

}  // namespace mgw::io
