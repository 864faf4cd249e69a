#include "mgw/io/endpoint.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace mgw::io {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool IsV4Mapped(const uint8_t* bytes) {
  return std::memcmp(bytes, kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0;
}

std::optional<uint16_t> ParsePort(std::string_view text) {
  uint32_t port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || port > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(port);
}

}  // namespace

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress address;
  address.family = IpFamily::kIpv4;
  const uint32_t network = htonl(host_order);
  std::memcpy(address.bytes.data(), &network, 4);
  return address;
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& network_order) {
  if (IsV4Mapped(network_order.data())) {
    uint32_t network;
    std::memcpy(&network, network_order.data() + 12, 4);
    return V4(ntohl(network));
  }
  IpAddress address;
  address.family = IpFamily::kIpv6;
  address.bytes = network_order;
  return address;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  char buffer[INET6_ADDRSTRLEN + 1];
  if (text.size() >= sizeof(buffer)) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  in_addr v4;
  if (inet_pton(AF_INET, buffer, &v4) == 1) return V4(ntohl(v4.s_addr));
  std::array<uint8_t, 16> v6;
  if (inet_pton(AF_INET6, buffer, v6.data()) == 1) return V6(v6);
  return std::nullopt;
}

uint32_t IpAddress::v4() const {
  if (!is_v4()) return 0;
  uint32_t network;
  std::memcpy(&network, bytes.data(), 4);
  return ntohl(network);
}

bool IpAddress::is_unspecified() const {
  for (uint8_t byte : bytes) {
    if (byte != 0) return false;
  }
  return true;
}

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN];
  switch (family) {
    case IpFamily::kIpv4:
      return inet_ntop(AF_INET, bytes.data(), buffer, sizeof(buffer));
    case IpFamily::kIpv6:
      return inet_ntop(AF_INET6, bytes.data(), buffer, sizeof(buffer));
    case IpFamily::kNone:
      break;
  }
  return "none";
}

Endpoint Endpoint::V4(uint32_t host_order_address, uint16_t port) {
  return Endpoint{IpAddress::V4(host_order_address), port};
}

std::optional<Endpoint> Endpoint::Parse(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // bare IPv6 needs []
  }
  const std::optional<IpAddress> address = IpAddress::Parse(host);
  const std::optional<uint16_t> port_number = ParsePort(port);
  if (!address || !port_number) return std::nullopt;
  return Endpoint{*address, *port_number};
}

std::string Endpoint::ToString() const {
  if (address.is_v6()) return "[" + address.ToString() + "]:" + std::to_string(port);
  return address.ToString() + ":" + std::to_string(port);
}

std::optional<Endpoint> EndpointFromSockaddr(const sockaddr* address, socklen_t length) {
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof(v4));
    return Endpoint{IpAddress::V4(ntohl(v4.sin_addr.s_addr)), ntohs(v4.sin_port)};
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof(v6));
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &v6.sin6_addr, 16);
    return Endpoint{IpAddress::V6(bytes), ntohs(v6.sin6_port)};
  }
  return std::nullopt;
}

socklen_t EndpointToSockaddr(const Endpoint& endpoint, int socket_family, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(sockaddr_in6));
  if (socket_family == AF_INET && endpoint.address.is_v4()) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(out);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(endpoint.port);
    std::memcpy(&v4->sin_addr, endpoint.address.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  if (socket_family == AF_INET6 && endpoint.address.family != IpFamily::kNone) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(endpoint.port);
    if (endpoint.address.is_v4()) {
      std::memcpy(&v6->sin6_addr, kV4MappedPrefix.data(), kV4MappedPrefix.size());
      std::memcpy(reinterpret_cast<uint8_t*>(&v6->sin6_addr) + 12, endpoint.address.bytes.data(),
                  4);
    } else {
      std::memcpy(&v6->sin6_addr, endpoint.address.bytes.data(), 16);
    }
    return sizeof(sockaddr_in6);
  }
  return 0;
}

}  // namespace mgw::io
