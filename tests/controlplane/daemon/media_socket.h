#pragma once

// A participant's media socket for the control plane's end-to-end tests: a real UDP socket on
// loopback that sends RTP to the dataplane and reads what it forwards.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mgw::testing {

// A participant's media socket: sends RTP to the dataplane, receives what it forwards.
class MediaSocket {
 public:
  MediaSocket(const std::string& address, uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
    to_.sin_family = AF_INET;
    to_.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &to_.sin_addr);
  }
  ~MediaSocket() { close(fd_); }

  // A VP8 keyframe carrying `tag` after the payload descriptor.
  void SendVideo(uint32_t ssrc, uint16_t seq, uint32_t tag) {
    std::vector<uint8_t> b = {0x80,
                              96,
                              static_cast<uint8_t>(seq >> 8),
                              static_cast<uint8_t>(seq),
                              0,
                              0,
                              static_cast<uint8_t>(seq >> 8),
                              static_cast<uint8_t>(seq),
                              0,
                              0,
                              0,
                              0};
    for (int i = 0; i < 4; ++i) b[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    for (uint8_t x : {0x90, 0x80, 0x05, 0x9C, 0x01, 0x2A}) b.push_back(x);
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(tag >> (24 - 8 * i)));
    b.resize(b.size() + 100, 0x42);
    sendto(fd_, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_);
  }

  // The tag of the next video packet (payload type 96) within `timeout`.
  std::optional<uint32_t> ReceiveVideoTag(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      uint8_t buf[2048];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n < 22 || (buf[1] & 0x7f) != 96) continue;  // audio or RTCP
      return (uint32_t{buf[18]} << 24) | (uint32_t{buf[19]} << 16) | (uint32_t{buf[20]} << 8) |
             buf[21];
    }
  }

 private:
  int fd_ = -1;
  sockaddr_in to_{};
};

}  // namespace mgw::testing
