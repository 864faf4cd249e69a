#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include <memory>
#include <vector>

#include "mgw/io/backend_config.h"
#include "mgw/io/backend_factory.h"
#include "mgw/io/packet_backend.h"
#include "mgw/io/packet_pool.h"
#include "socket_util.h"

namespace mgw::io {

// io_uring (liburing): one ring and one SO_REUSEPORT socket per queue. Receive uses a multishot
// recvmsg over a provided-buffer ring made of the queue's PacketPool (kernel >= 6.0), or preposted
// recvmsg SQEs, one per pool packet in flight. Send prepares one sendmsg SQE per output (header
// copied into a send slot, payload referenced in place) and Flush submits the burst with one
// io_uring_submit. Completions are reaped without a syscall unless the kernel has task work
// pending (COOP_TASKRUN + TASKRUN_FLAG). The socket and the wake eventfd are registered files.
// Why one SQE per datagram rather than sendmmsg, DEFER_TASKRUN or SEND_ZC: measured in
// dataplane/io/README.md.
class UringBackend final : public PacketBackend {
 public:
  static BackendResult Create(const BackendConfig& config);
  ~UringBackend() override;

  std::string_view name() const override { return "uring"; }
  uint16_t queue_count() const override { return static_cast<uint16_t>(queues_.size()); }
  Endpoint local_endpoint() const override { return local_; }
  uint16_t Receive(uint16_t queue, std::span<Packet*> out) override;
  uint16_t Send(uint16_t queue, std::span<const OutPacket> packets) override;
  void Flush(uint16_t queue) override;
  void Free(uint16_t queue, std::span<Packet* const> packets) override;
  bool Wait(uint16_t queue, std::chrono::milliseconds timeout) override;
  void Wake(uint16_t queue) override;
  IoStats Stats(uint16_t queue) const override { return queues_[queue]->counters.Snapshot(); }

  // Which receive path a queue ended up with (kMultishot or kPreposted).
  UringConfig::RxMode rx_mode_for_test(uint16_t queue) const { return queues_[queue]->rx_mode; }

 private:
  struct TxSlot {
    msghdr message;
    iovec iov[2];
    sockaddr_storage name;
    Packet* payload;  // holds a pool reference until the completion
  };
  struct RxSlot {  // preposted mode, one per pool slot
    msghdr message;
    iovec iov;
    sockaddr_storage name;
    alignas(8) uint8_t control[kReceiveControlBytes];
  };

  struct alignas(64) Queue {
    Queue(uint32_t packets, uint32_t buffer_size, uint32_t headroom)
        : pool(packets, buffer_size, headroom) {}
    io_uring ring{};
    bool ring_ready = false;
    // What SQEs name: the registered-file indices (IOSQE_FIXED_FILE) or the plain descriptors.
    int sqe_socket = -1;
    int sqe_wake = -1;
    uint8_t sqe_flags = 0;
    int fd = -1;
    int wake_fd = -1;
    uint16_t id = 0;
    UringConfig::RxMode rx_mode = UringConfig::RxMode::kPreposted;
    PacketPool pool;
    QueueCounters counters;
    uint32_t unsubmitted = 0;
    bool wake_armed = false;
    uint64_t wake_value = 0;

    // Received packets reaped but not yet handed out (Send and Flush reap too). Every receive
    // completion carries a distinct pool packet, so a stash as large as the pool never fills and
    // Reap never has to leave completions (and the send slots behind them) in the ring.
    std::vector<Packet*> stash;
    uint32_t stash_mask = 0;
    uint32_t stash_head = 0;
    uint32_t stash_count = 0;

    // Multishot: the pool's buffers as a provided-buffer ring.
    io_uring_buf_ring* buffer_ring = nullptr;
    size_t buffer_ring_bytes = 0;
    uint32_t buffer_ring_mask = 0;
    uint32_t buffer_ring_pending = 0;  // added, not yet published
    uint32_t buffers_in_ring = 0;      // given to the kernel, not yet received into
    uint32_t buffer_offset = 0;        // where in a pool buffer the kernel starts writing
    msghdr multishot_message{};
    bool recv_armed = false;

    // Preposted.
    std::vector<RxSlot> rx_slots;
    uint32_t rx_in_flight = 0;
    uint32_t rx_target = 0;

    // Sends in flight.
    std::vector<TxSlot> tx_slots;
    std::vector<uint32_t> tx_free;
    uint8_t* tx_headers = nullptr;  // tx_slots.size() buffers of tx_header_size
    size_t tx_headers_bytes = 0;
    uint32_t tx_header_size = 0;
  };

  UringBackend() = default;
  bool SetUpQueue(Queue& q, const BackendConfig& config, std::string* error);
  bool SetUpMultishot(Queue& q, std::string* error);
  void SetUpPreposted(Queue& q, const BackendConfig& config);

  io_uring_sqe* GetSqe(Queue& q);
  void Submit(Queue& q);
  // Re-arms receive (multishot after it stopped, preposted up to target) and the wake poll.
  void Arm(Queue& q);
  void ArmMultishot(Queue& q);
  void ArmWake(Queue& q);
  // Processes every completion in the ring.
  void Reap(Queue& q);
  void OnMultishotReceive(Queue& q, const io_uring_cqe& cqe);
  void OnPrepostedReceive(Queue& q, const io_uring_cqe& cqe, uint32_t slot);
  void OnSendComplete(Queue& q, const io_uring_cqe& cqe, uint32_t slot);
  void Deliver(Queue& q, Packet* packet, const msghdr& control, const sockaddr* name,
               socklen_t name_length);
  // The last reference to a packet went: back to the buffer ring or the free list.
  void ReturnBuffer(Queue& q, Packet* packet);
  void PublishBuffers(Queue& q);

  Endpoint local_;
  int family_ = AF_INET;
  std::vector<std::unique_ptr<Queue>> queues_;
};

}  // namespace mgw::io
