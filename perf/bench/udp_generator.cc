#include "udp_generator.h"

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
constexpr size_t kBurst = 32;
constexpr uint32_t kMaxSockets = 64;
constexpr uint16_t kSeqWindowMask = 0x3FFF;
}  // namespace

UdpGenerator::UdpGenerator(const Topology& topology, size_t packet_size, uint32_t target_address,
                           uint16_t target_port)
    : topology_(topology),
      packet_size_(packet_size),
      target_address_(target_address),
      target_port_(target_port),
      seq_(topology.publishers, 0) {
  const uint32_t count = std::min(topology.publishers, kMaxSockets);
  for (uint32_t i = 0; i < count; ++i) sockets_.push_back(OpenUdpSocket(INADDR_LOOPBACK, 0, false));
}

UdpGenerator::~UdpGenerator() {
  for (int fd : sockets_) close(fd);
}

UdpGenerator::Result UdpGenerator::Run(double rate_pps, double seconds, uint8_t trial) {
  std::vector<std::array<uint8_t, 2048>> buffers(kBurst);
  std::array<iovec, kBurst> iov{};
  std::array<mmsghdr, kBurst> msgs{};
  sockaddr_in target = Ipv4SocketAddress(target_address_, target_port_);
  for (size_t i = 0; i < kBurst; ++i) {
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
  const double ns_per_burst = rate_pps > 0 ? 1e9 * kBurst / rate_pps : 0;
  Result result;
  for (uint64_t burst = 0;; ++burst) {
    uint64_t now = MonotonicNanos();
    if (now >= end) break;
    if (ns_per_burst > 0) {
      const auto due = start + static_cast<uint64_t>(static_cast<double>(burst) * ns_per_burst);
      if (due > end) break;
      if (due > now + 20'000) {
        timespec ts{0, static_cast<long>(due - now - 10'000)};
        nanosleep(&ts, nullptr);
      }
      while ((now = MonotonicNanos()) < due) {
      }
    }
    const uint32_t s = static_cast<uint32_t>(burst % nsock);
    const uint32_t per_socket = (topology_.publishers - s + nsock - 1) / nsock;
    for (size_t i = 0; i < kBurst; ++i) {
      const uint32_t p = s + nsock * (cursor[s]++ % per_socket);
      WriteLoadPacket(buffers[i].data(), packet_size_, Topology::PublisherSsrc(p));
      // Sequence numbers cycle within 16384: LegRewriter drops every packet more than 32768
      // numbers after its last switch as stale (see perf/README.md, "Findings"), which would
      // measure that bug instead of the forwarder.
      const auto seq = static_cast<uint16_t>(seq_[p]++ & kSeqWindowMask);
      StampLoadPacket(buffers[i].data(), seq, seq * 3000u, now, trial);
    }
    int n = sendmmsg(sockets_[s], msgs.data(), kBurst, 0);
    if (n > 0) result.sent += static_cast<uint64_t>(n);
  }
  result.seconds = static_cast<double>(MonotonicNanos() - start) / 1e9;
  return result;
}

}  // namespace mgw::bench
