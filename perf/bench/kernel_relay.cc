#include "kernel_relay.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

#include "cpu_pinning.h"
#include "thread_cpu.h"
#include "udp_socket.h"

namespace mgw::bench {
namespace {
constexpr size_t kBurst = 32;
constexpr size_t kMaxOut = kBurst * 64;
constexpr int kDataplaneSocketBuffer = 4 << 20;
}  // namespace

KernelRelay::KernelRelay(const Topology& topology, uint16_t sink_port, int cpu)
    : topology_(topology), sink_port_(sink_port) {
  fd_ = OpenUdpSocket(INADDR_LOOPBACK, 0, false);
  // The same socket buffers as mgw-dataplane asks for (dataplane_app.cc), so that neither side
  // of the ratio absorbs a trial's excess in a deeper queue than the other.
  const int size = kDataplaneSocketBuffer;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  // DF without path MTU discovery, as mgw-dataplane's sockets (socket_util.cc): the kernel then
  // skips drawing an IP ID per datagram, which the ceiling should not pay if mgw does not.
  const int probe = IP_PMTUDISC_PROBE;
  setsockopt(fd_, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
  port_ = LocalPort(fd_);
  timeval timeout{0, 20'000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  thread_ = std::thread([this] { Loop(); });
  if (cpu >= 0) PinThread(thread_, cpu);
}

KernelRelay::~KernelRelay() {
  stop_.store(true);
  thread_.join();
  close(fd_);
}

double KernelRelay::CpuSeconds() const { return ThreadCpuSeconds(getpid(), tid_.load()); }

void KernelRelay::Loop() {
  tid_.store(static_cast<int>(gettid()));
  std::vector<sockaddr_in> subscribers(topology_.subscribers());
  for (uint32_t k = 0; k < subscribers.size(); ++k) {
    subscribers[k] = Ipv4SocketAddress(Topology::LoopbackAddress(k), sink_port_);
  }
  std::vector<std::array<uint8_t, 2048>> in(kBurst);
  std::array<iovec, kBurst> in_iov{};
  std::array<mmsghdr, kBurst> in_msgs{};
  for (size_t i = 0; i < kBurst; ++i) {
    in_iov[i] = {in[i].data(), in[i].size()};
    in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
    in_msgs[i].msg_hdr.msg_iovlen = 1;
  }
  std::vector<std::array<uint8_t, 12>> heads(kMaxOut);
  std::vector<std::array<iovec, 2>> out_iov(kMaxOut);
  std::vector<mmsghdr> out_msgs(kMaxOut);
  while (!stop_.load(std::memory_order_relaxed)) {
    int n = recvmmsg(fd_, in_msgs.data(), kBurst, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    size_t count = 0;
    for (int i = 0; i < n; ++i) {
      const uint8_t* packet = in[i].data();
      const size_t len = in_msgs[i].msg_len;
      if (len < 12) continue;
      const uint32_t ssrc = (uint32_t{packet[8]} << 24) | (uint32_t{packet[9]} << 16) |
                            (uint32_t{packet[10]} << 8) | packet[11];
      const uint32_t p = ssrc - kPublisherSsrcBase;
      if (p >= topology_.publishers) continue;
      for (uint32_t j = 0; j < topology_.fanout && count < kMaxOut; ++j, ++count) {
        std::memcpy(heads[count].data(), packet, 12);
        heads[count][8] ^= static_cast<uint8_t>(j + 1);  // a per-leg SSRC, as a rewrite would
        out_iov[count][0] = {heads[count].data(), 12};
        out_iov[count][1] = {const_cast<uint8_t*>(packet) + 12, len - 12};
        out_msgs[count].msg_hdr = {};
        out_msgs[count].msg_hdr.msg_iov = out_iov[count].data();
        out_msgs[count].msg_hdr.msg_iovlen = 2;
        out_msgs[count].msg_hdr.msg_name = &subscribers[topology_.SubscriberOf(p, j)];
        out_msgs[count].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      }
    }
    for (size_t sent = 0; sent < count;) {
      const auto chunk = static_cast<unsigned>(std::min<size_t>(count - sent, 1024));
      int k = sendmmsg(fd_, out_msgs.data() + sent, chunk, 0);
      sent += k > 0 ? static_cast<size_t>(k) : chunk;  // a refused batch is lost, as in mgw
    }
  }
}

}  // namespace mgw::bench
