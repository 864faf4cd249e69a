#pragma once

#include <sys/socket.h>

#include <array>
#include <memory>
#include <vector>

#include "mgw/io/backend_config.h"
#include "mgw/io/backend_factory.h"
#include "mgw/io/packet_backend.h"
#include "mgw/io/packet_pool.h"
#include "socket_util.h"

namespace mgw::io {

// UDP sockets with recvmmsg/sendmmsg: one non-blocking SO_REUSEPORT socket per queue, so the
// kernel spreads flows over the workers. One syscall per burst each way (a fanned-out burst
// leaves in sendmmsg calls of up to kSendBatch datagrams); poll() when idle.
class PosixBackend final : public PacketBackend {
 public:
  static BackendResult Create(const BackendConfig& config);
  ~PosixBackend() override;

  std::string_view name() const override { return "posix"; }
  uint16_t queue_count() const override { return static_cast<uint16_t>(queues_.size()); }
  Endpoint local_endpoint() const override { return local_; }
  uint16_t Receive(uint16_t queue, std::span<Packet*> out) override;
  uint16_t Send(uint16_t queue, std::span<const OutPacket> packets) override;
  void Flush(uint16_t /*queue*/) override {}  // Send is synchronous
  void Free(uint16_t queue, std::span<Packet* const> packets) override;
  bool Wait(uint16_t queue, std::chrono::milliseconds timeout) override;
  void Wake(uint16_t queue) override;
  IoStats Stats(uint16_t queue) const override { return queues_[queue]->counters.Snapshot(); }

 private:
  // A burst of 32 fanned out to 16 is 512 datagrams: 2 sendmmsg calls rather than 16.
  static constexpr size_t kSendBatch = 256;

  // Everything one worker touches, on its own cache lines.
  struct alignas(64) Queue {
    Queue(uint32_t packets, uint32_t buffer_size, uint32_t headroom)
        : pool(packets, buffer_size, headroom) {}
    int fd = -1;
    int wake_fd = -1;
    uint16_t id = 0;
    PacketPool pool;
    QueueCounters counters;
    std::array<mmsghdr, kBurstSize> rx_messages{};
    std::array<iovec, kBurstSize> rx_iov{};
    std::array<sockaddr_storage, kBurstSize> rx_names{};
    std::array<std::array<uint8_t, kReceiveControlBytes>, kBurstSize> rx_control{};
    std::array<Packet*, kBurstSize> rx_packets{};
    std::array<mmsghdr, kSendBatch> tx_messages{};
    std::array<iovec[2], kSendBatch> tx_iov{};
    std::array<sockaddr_storage, kSendBatch> tx_names{};
  };

  PosixBackend() = default;
  uint16_t SendChunk(Queue& q, std::span<const OutPacket> packets);

  Endpoint local_;
  int family_ = AF_INET;
  std::vector<std::unique_ptr<Queue>> queues_;
};

}  // namespace mgw::io
