#pragma once

// A kernel UDP socket for tests: the other end of a backend.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mgw/io/endpoint.h"

namespace mgw::io::testing {

struct Datagram {
  std::vector<uint8_t> bytes;
  Endpoint source;
};

class UdpPeer {
 public:
  // Binds `local` (port 0 picks one). Check ok() afterwards.
  explicit UdpPeer(const Endpoint& local) {
    family_ = local.address.is_v6() ? AF_INET6 : AF_INET;
    fd_ = socket(family_, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    sockaddr_storage address;
    const socklen_t length = EndpointToSockaddr(local, family_, &address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    socklen_t bound_length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &bound_length);
    endpoint_ = *EndpointFromSockaddr(reinterpret_cast<sockaddr*>(&address), bound_length);
  }
  UdpPeer(const UdpPeer&) = delete;
  UdpPeer& operator=(const UdpPeer&) = delete;
  ~UdpPeer() {
    if (fd_ >= 0) close(fd_);
  }

  bool ok() const { return fd_ >= 0; }
  const Endpoint& endpoint() const { return endpoint_; }

  bool SendTo(const Endpoint& destination, const std::vector<uint8_t>& bytes) const {
    sockaddr_storage address;
    const socklen_t length = EndpointToSockaddr(destination, family_, &address);
    return sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&address),
                  length) == static_cast<ssize_t>(bytes.size());
  }

  // Waits up to `timeout` for one datagram.
  std::optional<Datagram> Receive(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    Datagram datagram;
    datagram.bytes.resize(65536);
    sockaddr_storage address;
    socklen_t length = sizeof(address);
    const ssize_t got = recvfrom(fd_, datagram.bytes.data(), datagram.bytes.size(), 0,
                                 reinterpret_cast<sockaddr*>(&address), &length);
    if (got < 0) return std::nullopt;
    datagram.bytes.resize(static_cast<size_t>(got));
    datagram.source = EndpointFromSockaddr(reinterpret_cast<sockaddr*>(&address), length).value();
    return datagram;
  }

 private:
  int fd_ = -1;
  int family_ = AF_INET;
  Endpoint endpoint_;
};

inline std::vector<uint8_t> Bytes(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

}  // namespace mgw::io::testing
