#include "udp_generator.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "load_packet.h"
#include "udp_socket.h"

namespace mgw::bench {
namespace {
constexpr uint32_t kMaxSockets = 64;
}  // namespace

UdpGenerator::UdpGenerator(const Topology& topology, size_t packet_size, uint32_t target_address,
                           uint16_t target_port)
    : topology_(topology),
      packet_size_(packet_size),
      target_address_(target_address),
      target_port_(target_port),
      packets_(topology.publishers, 0) {
  const uint32_t count = std::min(topology.publishers, kMaxSockets);
  for (uint32_t i = 0; i < count; ++i) sockets_.push_back(OpenUdpSocket(INADDR_LOOPBACK, 0, false));
}

UdpGenerator::~UdpGenerator() {
  for (int fd : sockets_) close(fd);
}

UdpGenerator::Result UdpGenerator::Run(double rate_pps, double seconds, uint8_t trial,
                                       size_t burst) {
  const size_t per_send = std::clamp<size_t>(burst, 1, kMaxBurst);
  // nanosleep overshoots by the thread's timer slack (50 us by default): more than the gap
  // between single packets at the rates latency is taken at.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  std::vector<std::array<uint8_t, 2048>> buffers(kMaxBurst);
  std::array<iovec, kMaxBurst> iov{};
  std::array<mmsghdr, kMaxBurst> msgs{};
  sockaddr_in target = Ipv4SocketAddress(target_address_, target_port_);
  for (size_t i = 0; i < kMaxBurst; ++i) {
    iov[i] = {buffers[i].data(), packet_size_};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &target;
    msgs[i].msg_hdr.msg_namelen = sizeof target;
  }
  const auto nsock = static_cast<uint32_t>(sockets_.size());
  // Publishers of socket s are s, s + nsock, ...; each socket keeps its own cursor.
  std::vector<uint32_t> cursor(nsock, 0);
  const uint64_t start = MonotonicNanos();
  const auto end = start + static_cast<uint64_t>(seconds * 1e9);
  const double ns_per_burst = rate_pps > 0 ? 1e9 * static_cast<double>(per_send) / rate_pps : 0;
  Result result;
  for (uint64_t round = 0;; ++round) {
    uint64_t now = MonotonicNanos();
    if (now >= end) break;
    if (ns_per_burst > 0) {
      const auto due = start + static_cast<uint64_t>(static_cast<double>(round) * ns_per_burst);
      if (due > end) break;
      if (due > now + 20'000) {
        timespec ts{0, static_cast<long>(due - now - 10'000)};
        nanosleep(&ts, nullptr);
      }
      while ((now = MonotonicNanos()) < due) {
      }
    }
    const uint32_t s = static_cast<uint32_t>(round % nsock);
    const uint32_t per_socket = (topology_.publishers - s + nsock - 1) / nsock;
    for (size_t i = 0; i < per_send; ++i) {
      const uint32_t p = s + nsock * (cursor[s]++ % per_socket);
      WriteLoadPacket(buffers[i].data(), packet_size_, Topology::PublisherSsrc(p));
      // A real stream: sequence numbers wrap at 16 bits, timestamps (90 kHz, 30 fps) at 32.
      const uint32_t count = packets_[p]++;
      const auto seq = static_cast<uint16_t>(count);
      StampLoadPacket(buffers[i].data(), seq, count * 3000u, now, trial);
    }
    int n = sendmmsg(sockets_[s], msgs.data(), static_cast<unsigned>(per_send), 0);
    if (n > 0) result.sent += static_cast<uint64_t>(n);
  }
  result.seconds = static_cast<double>(MonotonicNanos() - start) / 1e9;
  return result;
}

}  // namespace mgw::bench
