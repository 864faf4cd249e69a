#include "udp_sink.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <vector>

#include "load_packet.h"
#include "udp_socket.h"

namespace mgw::bench {
namespace {
constexpr size_t kBurst = 64;
}  // namespace

UdpSink::UdpSink() {
  fd_ = OpenUdpSocket(INADDR_ANY, 0, false);
  port_ = LocalPort(fd_);
  // No receive timeout: the thread sleeps until a datagram or the shutdown below (a timeout's
  // wake-ups every few milliseconds would land on the cores of the dpdk latency trials).
  thread_ = std::thread([this] { Loop(); });
}

UdpSink::~UdpSink() {
  stop_.store(true);
  shutdown(fd_, SHUT_RDWR);  // wakes the blocked recvmmsg (Linux), which then returns 0
  thread_.join();
  close(fd_);
}

void UdpSink::BeginTrial(uint8_t trial) {
  std::lock_guard lock(mutex_);
  trial_ = trial;
  packets_ = 0;
  bytes_ = 0;
  histogram_.Clear();
}

UdpSink::Counts UdpSink::EndTrial() {
  std::lock_guard lock(mutex_);
  Counts counts{packets_, bytes_, histogram_.PercentileMicros(0.5),
                histogram_.PercentileMicros(0.99), histogram_.PercentileMicros(0.999)};
  trial_ = 0;  // trial numbers start at 1: nothing counts until the next BeginTrial
  return counts;
}

void UdpSink::WaitIdle(int quiet_ms, int max_ms) const {
  const uint64_t start = MonotonicNanos();
  const auto quiet = static_cast<uint64_t>(quiet_ms) * 1'000'000;
  const auto limit = start + static_cast<uint64_t>(max_ms) * 1'000'000;
  for (;;) {
    const uint64_t now = MonotonicNanos();
    if (now >= limit || now - last_packet_ns_.load(std::memory_order_relaxed) >= quiet) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void UdpSink::Loop() {
  std::vector<std::array<uint8_t, 2048>> buffers(kBurst);
  std::array<iovec, kBurst> iov{};
  std::array<mmsghdr, kBurst> msgs{};
  for (size_t i = 0; i < kBurst; ++i) {
    iov[i] = {buffers[i].data(), buffers[i].size()};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (!stop_.load(std::memory_order_relaxed)) {
    int n = recvmmsg(fd_, msgs.data(), kBurst, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    const uint64_t now = MonotonicNanos();
    last_packet_ns_.store(now, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    for (int i = 0; i < n; ++i) {
      auto stamp = ReadLoadStamp(buffers[i].data(), msgs[i].msg_len);
      if (!stamp || stamp->trial != trial_ || trial_ == 0) continue;
      ++packets_;
      bytes_ += msgs[i].msg_len;
      histogram_.Record(now > stamp->send_ns ? now - stamp->send_ns : 0);
    }
  }
}

}  // namespace mgw::bench
