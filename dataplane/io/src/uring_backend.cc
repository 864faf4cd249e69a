#include "uring_backend.h"

#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mgw::io {
namespace {

// user_data: what completed in the top byte, which slot in the low 32 bits.
enum class Op : uint64_t { kMultishotReceive = 1, kPrepostedReceive = 2, kSend = 3, kWake = 4 };

uint64_t UserData(Op op, uint32_t slot) { return (static_cast<uint64_t>(op) << 56) | slot; }
Op OpOf(uint64_t user_data) { return static_cast<Op>(user_data >> 56); }
uint32_t SlotOf(uint64_t user_data) { return static_cast<uint32_t>(user_data); }

uint32_t RoundUpToPowerOfTwo(uint32_t n) {
  uint32_t power = 1;
  while (power < n) power <<= 1;
  return power;
}

void* MapZeroed(size_t bytes) {
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return memory == MAP_FAILED ? nullptr : memory;
}

size_t RoundUpToPage(size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

// Errors that mean "no io_uring here" (seccomp, kernel.io_uring_disabled, kernel without it),
// as opposed to a resource problem.
bool MeansUnavailable(int error) {
  return error == EPERM || error == EACCES || error == ENOSYS || error == EOPNOTSUPP;
}

std::string UnavailableMessage(const std::string& what) {
  return "io_uring unavailable (" + what + "); use backend=posix";
}

DropReason SendErrorReason(int error) {
  switch (error) {
    case EAGAIN:
    case ENOBUFS:
      return DropReason::kTxWouldBlock;
    case EMSGSIZE:
      return DropReason::kTxTooBig;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
      return DropReason::kTxNoRoute;
    default:
      return DropReason::kTxError;
  }
}

}  // namespace

BackendResult UringBackend::Create(const BackendConfig& config) {
  std::unique_ptr<UringBackend> backend(new UringBackend());
  std::vector<int> fds;
  std::string error;
  // Blocking sockets: some kernels complete a receive on an O_NONBLOCK socket with -EAGAIN
  // instead of arming a poll. Sends pass MSG_DONTWAIT, so a full socket reports -EAGAIN.
  if (!OpenQueueSockets(config, /*nonblocking=*/false, &fds, &backend->local_, &error)) {
    return {nullptr, "uring backend: " + error};
  }
  backend->family_ = backend->local_.address.is_v6() ? AF_INET6 : AF_INET;
  for (size_t id = 0; id < fds.size(); ++id) {
    auto queue =
        std::make_unique<Queue>(config.packets_per_queue, config.buffer_size, config.headroom);
    queue->fd = fds[id];
    queue->id = id;
    Queue& q = *queue;
    backend->queues_.push_back(std::move(queue));
    if (!backend->SetUpQueue(q, config, &error)) return {nullptr, error};
  }
  return {std::move(backend), ""};
}

bool UringBackend::SetUpQueue(Queue& q, const BackendConfig& config, std::string* error) {
  q.wake_fd = CreateEventFd();
  if (q.wake_fd < 0) {
    *error = "uring backend: eventfd: " + ErrnoText(errno);
    return false;
  }
  const uint32_t tx_slots = std::max<uint32_t>(config.uring.tx_slots, kBurstSize);
  const uint32_t cq_entries = RoundUpToPowerOfTwo(config.packets_per_queue + tx_slots + 64);
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  params.cq_entries = cq_entries;
  int result = io_uring_queue_init_params(config.uring.ring_entries, &q.ring, &params);
  if (result == -EINVAL) {  // kernel < 5.19: no cooperative task running
    params = {};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = cq_entries;
    result = io_uring_queue_init_params(config.uring.ring_entries, &q.ring, &params);
  }
  if (result < 0) {
    const std::string what = "io_uring_queue_init: " + ErrnoText(-result);
    *error = MeansUnavailable(-result) ? UnavailableMessage(what) : "uring backend: " + what;
    return false;
  }
  q.ring_ready = true;
  // Registered files spare the kernel an fget/fput per SQE; without them (a kernel that refuses
  // the registration, e.g. RLIMIT_NOFILE accounting) the SQEs name the descriptors.
  q.sqe_socket = q.fd;
  q.sqe_wake = q.wake_fd;
  const int files[2] = {q.fd, q.wake_fd};
  if (io_uring_register_files(&q.ring, files, 2) == 0) {
    q.sqe_socket = 0;
    q.sqe_wake = 1;
    q.sqe_flags = IOSQE_FIXED_FILE;
  }
  q.stash.resize(RoundUpToPowerOfTwo(config.packets_per_queue));
  q.stash_mask = static_cast<uint32_t>(q.stash.size()) - 1;

  io_uring_probe* probe = io_uring_get_probe_ring(&q.ring);
  const bool has_ops = probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_SENDMSG) &&
                       io_uring_opcode_supported(probe, IORING_OP_RECVMSG) &&
                       io_uring_opcode_supported(probe, IORING_OP_POLL_ADD);
  if (probe != nullptr) io_uring_free_probe(probe);
  if (!has_ops) {
    *error = UnavailableMessage("kernel lacks IORING_OP_SENDMSG/RECVMSG (needs >= 5.6)");
    return false;
  }

  q.tx_header_size = (config.buffer_size + 63) & ~63u;
  q.tx_headers_bytes = RoundUpToPage(static_cast<size_t>(tx_slots) * q.tx_header_size);
  q.tx_headers = static_cast<uint8_t*>(MapZeroed(q.tx_headers_bytes));
  if (q.tx_headers == nullptr) {
    *error = "uring backend: mmap: " + ErrnoText(errno);
    return false;
  }
  q.tx_slots.resize(tx_slots);
  q.tx_free.reserve(tx_slots);
  for (uint32_t slot = tx_slots; slot > 0; --slot) q.tx_free.push_back(slot - 1);

  const UringConfig::RxMode mode = config.uring.rx_mode;
  if (mode != UringConfig::RxMode::kPreposted) {
    std::string multishot_error;
    if (!SetUpMultishot(q, &multishot_error) && mode == UringConfig::RxMode::kMultishot) {
      *error = "uring backend: multishot recvmsg unavailable: " + multishot_error;
      return false;
    }
  }
  if (q.rx_mode == UringConfig::RxMode::kPreposted) SetUpPreposted(q, config);
  Arm(q);
  Submit(q);
  return true;
}

bool UringBackend::SetUpMultishot(Queue& q, std::string* error) {
  const uint32_t entries = RoundUpToPowerOfTwo(q.pool.count());
  if (entries > 32768) {
    *error = "more than 32768 packets per queue";
    return false;
  }
  q.buffer_ring_bytes = RoundUpToPage(entries * sizeof(io_uring_buf));
  q.buffer_ring = static_cast<io_uring_buf_ring*>(MapZeroed(q.buffer_ring_bytes));
  if (q.buffer_ring == nullptr) {
    *error = "mmap: " + ErrnoText(errno);
    return false;
  }
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<uint64_t>(q.buffer_ring);
  registration.ring_entries = entries;
  registration.bgid = 0;
  const int result = io_uring_register_buf_ring(&q.ring, &registration, 0);
  if (result < 0) {  // kernel < 5.19
    *error = "io_uring_register_buf_ring: " + ErrnoText(-result);
    munmap(q.buffer_ring, q.buffer_ring_bytes);
    q.buffer_ring = nullptr;
    return false;
  }
  io_uring_buf_ring_init(q.buffer_ring);
  q.buffer_ring_mask = entries - 1;
  q.rx_mode = UringConfig::RxMode::kMultishot;  // ReturnBuffer feeds the ring from here on

  // The kernel writes an io_uring_recvmsg_out, the address and the control messages in front of
  // the payload; start early enough that the payload still lands at the configured headroom.
  q.multishot_message = {};
  q.multishot_message.msg_namelen = sizeof(sockaddr_in6);
  q.multishot_message.msg_controllen = kReceiveControlBytes;
  const uint32_t metadata =
      sizeof(io_uring_recvmsg_out) + sizeof(sockaddr_in6) + kReceiveControlBytes;
  q.buffer_offset = q.pool.headroom() > metadata ? q.pool.headroom() - metadata : 0;
  for (uint32_t slot = 0; slot < q.pool.count(); ++slot) ReturnBuffer(q, q.pool.at(slot));
  PublishBuffers(q);

  // A kernel with buffer rings but without multishot recvmsg (5.19) fails the SQE at once.
  ArmMultishot(q);
  Submit(q);
  io_uring_cqe* cqe = nullptr;
  if (io_uring_peek_cqe(&q.ring, &cqe) == 0 && OpOf(cqe->user_data) == Op::kMultishotReceive &&
      cqe->res == -EINVAL) {
    io_uring_cqe_seen(&q.ring, cqe);
    io_uring_unregister_buf_ring(&q.ring, 0);
    munmap(q.buffer_ring, q.buffer_ring_bytes);
    q.buffer_ring = nullptr;
    q.recv_armed = false;
    q.buffers_in_ring = 0;
    q.rx_mode = UringConfig::RxMode::kPreposted;
    *error = "IORING_OP_RECVMSG multishot rejected (needs kernel >= 6.0)";
    return false;
  }
  return true;
}

void UringBackend::SetUpPreposted(Queue& q, const BackendConfig& config) {
  q.rx_mode = UringConfig::RxMode::kPreposted;
  q.rx_slots.resize(q.pool.count());
  q.rx_target = std::clamp<uint32_t>(config.uring.rx_preposted, 1, q.pool.count());
}

UringBackend::~UringBackend() {
  for (auto& queue : queues_) {
    Queue& q = *queue;
    // Exiting the ring cancels what is in flight before the buffers go away.
    if (q.ring_ready) io_uring_queue_exit(&q.ring);
    if (q.buffer_ring != nullptr) munmap(q.buffer_ring, q.buffer_ring_bytes);
    if (q.tx_headers != nullptr) munmap(q.tx_headers, q.tx_headers_bytes);
    if (q.fd >= 0) close(q.fd);
    if (q.wake_fd >= 0) close(q.wake_fd);
  }
}

io_uring_sqe* UringBackend::GetSqe(Queue& q) {
  io_uring_sqe* sqe = io_uring_get_sqe(&q.ring);
  if (sqe == nullptr) {
    Submit(q);
    sqe = io_uring_get_sqe(&q.ring);
  }
  if (sqe != nullptr) ++q.unsubmitted;
  return sqe;
}

void UringBackend::Submit(Queue& q) {
  if (q.unsubmitted == 0) return;
  int result = io_uring_submit(&q.ring);
  if (result == -EBUSY || result == -EAGAIN) {  // completion queue backed up: make room, retry
    Reap(q);
    result = io_uring_submit(&q.ring);
  }
  q.unsubmitted = io_uring_sq_ready(&q.ring);
}

void UringBackend::Arm(Queue& q) {
  if (q.rx_mode == UringConfig::RxMode::kMultishot) {
    // Without a buffer in the ring a fresh multishot would only fail with -ENOBUFS again.
    if (!q.recv_armed && q.buffers_in_ring > 0) ArmMultishot(q);
  } else {
    const bool starved = q.rx_in_flight == 0;
    while (q.rx_in_flight < q.rx_target) {
      Packet* packet = q.pool.Allocate();
      if (packet == nullptr) break;
      io_uring_sqe* sqe = GetSqe(q);
      if (sqe == nullptr) {
        q.pool.Free(packet);
        break;
      }
      RxSlot& slot = q.rx_slots[packet->slot];
      slot.iov = {packet->data, packet->tailroom};
      slot.message = {};
      slot.message.msg_name = &slot.name;
      slot.message.msg_namelen = sizeof(slot.name);
      slot.message.msg_iov = &slot.iov;
      slot.message.msg_iovlen = 1;
      slot.message.msg_control = slot.control;
      slot.message.msg_controllen = sizeof(slot.control);
      io_uring_prep_recvmsg(sqe, q.sqe_socket, &slot.message, 0);
      sqe->flags |= q.sqe_flags;
      io_uring_sqe_set_data64(sqe, UserData(Op::kPrepostedReceive, packet->slot));
      ++q.rx_in_flight;
    }
    if (starved && q.rx_in_flight == 0) q.counters.Drop(DropReason::kRxNoBuffer);
  }
  ArmWake(q);
}

void UringBackend::ArmMultishot(Queue& q) {
  io_uring_sqe* sqe = GetSqe(q);
  if (sqe == nullptr) return;
  io_uring_prep_recvmsg_multishot(sqe, q.sqe_socket, &q.multishot_message, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT | q.sqe_flags;
  sqe->buf_group = 0;
  io_uring_sqe_set_data64(sqe, UserData(Op::kMultishotReceive, 0));
  q.recv_armed = true;
}

void UringBackend::ArmWake(Queue& q) {
  if (q.wake_armed) return;
  io_uring_sqe* sqe = GetSqe(q);
  if (sqe == nullptr) return;
  io_uring_prep_poll_add(sqe, q.sqe_wake, POLLIN);
  sqe->flags |= q.sqe_flags;
  io_uring_sqe_set_data64(sqe, UserData(Op::kWake, 0));
  q.wake_armed = true;
}

void UringBackend::Reap(Queue& q) {
  // Completions are taken in order. A receive yields at most one packet into the stash, which
  // has room for the whole pool, so no completion waits behind another.
  for (;;) {
    io_uring_cqe* cqes[kBurstSize];
    const unsigned count = io_uring_peek_batch_cqe(&q.ring, cqes, kBurstSize);
    for (unsigned i = 0; i < count; ++i) {
      const io_uring_cqe& cqe = *cqes[i];
      switch (OpOf(cqe.user_data)) {
        case Op::kMultishotReceive:
          OnMultishotReceive(q, cqe);
          break;
        case Op::kPrepostedReceive:
          OnPrepostedReceive(q, cqe, SlotOf(cqe.user_data));
          break;
        case Op::kSend:
          OnSendComplete(q, cqe, SlotOf(cqe.user_data));
          break;
        case Op::kWake:
          q.wake_armed = false;
          DrainEventFd(q.wake_fd);
          break;
      }
    }
    io_uring_cq_advance(&q.ring, count);
    if (count < kBurstSize) break;
  }
  PublishBuffers(q);
}

void UringBackend::OnMultishotReceive(Queue& q, const io_uring_cqe& cqe) {
  if ((cqe.flags & IORING_CQE_F_MORE) == 0) q.recv_armed = false;
  if (cqe.res < 0) {
    // -ENOBUFS: every pool buffer is held by the application; re-armed once some come back.
    if (cqe.res == -ENOBUFS) {
      q.counters.Drop(DropReason::kRxNoBuffer);
    } else if (cqe.res != -ECANCELED) {
      q.counters.Drop(DropReason::kRxError);
    }
    return;
  }
  if ((cqe.flags & IORING_CQE_F_BUFFER) == 0) return;
  Packet* packet = q.pool.at(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  --q.buffers_in_ring;
  uint8_t* base = q.pool.buffer(packet->slot) + q.buffer_offset;
  io_uring_recvmsg_out* out = io_uring_recvmsg_validate(base, cqe.res, &q.multishot_message);
  if (out == nullptr || (out->flags & MSG_TRUNC) != 0) {
    q.counters.Drop(out == nullptr ? DropReason::kRxError : DropReason::kRxTruncated);
    ReturnBuffer(q, packet);
    return;
  }
  auto* payload = static_cast<uint8_t*>(io_uring_recvmsg_payload(out, &q.multishot_message));
  packet->refs = 1;
  packet->data = payload;
  packet->length = io_uring_recvmsg_payload_length(out, cqe.res, &q.multishot_message);
  packet->headroom = static_cast<uint32_t>(payload - q.pool.buffer(packet->slot));
  packet->tailroom = q.pool.buffer_size() - packet->headroom - packet->length;
  msghdr control{};
  control.msg_control =
      static_cast<uint8_t*>(io_uring_recvmsg_name(out)) + q.multishot_message.msg_namelen;
  control.msg_controllen = out->controllen;
  Deliver(q, packet, control, static_cast<const sockaddr*>(io_uring_recvmsg_name(out)),
          out->namelen);
}

void UringBackend::OnPrepostedReceive(Queue& q, const io_uring_cqe& cqe, uint32_t slot) {
  --q.rx_in_flight;
  Packet* packet = q.pool.at(slot);
  const msghdr& message = q.rx_slots[slot].message;
  if (cqe.res < 0 || (message.msg_flags & MSG_TRUNC) != 0) {
    if (cqe.res >= 0) {
      q.counters.Drop(DropReason::kRxTruncated);
    } else if (cqe.res != -ECANCELED) {
      q.counters.Drop(DropReason::kRxError);
    }
    q.pool.Free(packet);
    return;
  }
  packet->length = static_cast<uint32_t>(cqe.res);
  packet->tailroom -= packet->length;
  Deliver(q, packet, message, static_cast<const sockaddr*>(message.msg_name), message.msg_namelen);
}

void UringBackend::Deliver(Queue& q, Packet* packet, const msghdr& control, const sockaddr* name,
                           socklen_t name_length) {
  const ReceiveControl parsed = ParseReceiveControl(control);
  if (parsed.has_overflow) {
    q.counters.drops[static_cast<size_t>(DropReason::kRxKernelOverflow)].Set(parsed.overflow);
  }
  packet->queue = q.id;
  packet->source = EndpointFromSockaddr(name, name_length).value_or(Endpoint{});
  packet->destination = local_;
  if (parsed.has_destination) packet->destination.address = parsed.destination;
  q.counters.rx_packets.Add(1);
  q.counters.rx_bytes.Add(packet->length);
  q.stash[(q.stash_head + q.stash_count++) & q.stash_mask] = packet;
}

void UringBackend::OnSendComplete(Queue& q, const io_uring_cqe& cqe, uint32_t slot) {
  TxSlot& tx = q.tx_slots[slot];
  if (cqe.res < 0) {
    q.counters.Drop(SendErrorReason(-cqe.res));
  } else {
    q.counters.tx_packets.Add(1);
    q.counters.tx_bytes.Add(static_cast<uint64_t>(cqe.res));
  }
  if (tx.payload != nullptr && q.pool.Release(tx.payload)) ReturnBuffer(q, tx.payload);
  tx.payload = nullptr;
  q.tx_free.push_back(slot);
}

void UringBackend::ReturnBuffer(Queue& q, Packet* packet) {
  if (q.rx_mode != UringConfig::RxMode::kMultishot) {
    q.pool.Recycle(packet);
    return;
  }
  io_uring_buf_ring_add(q.buffer_ring, q.pool.buffer(packet->slot) + q.buffer_offset,
                        q.pool.buffer_size() - q.buffer_offset, static_cast<uint16_t>(packet->slot),
                        static_cast<int>(q.buffer_ring_mask),
                        static_cast<int>(q.buffer_ring_pending++));
  ++q.buffers_in_ring;
}

void UringBackend::PublishBuffers(Queue& q) {
  if (q.buffer_ring_pending == 0) return;
  io_uring_buf_ring_advance(q.buffer_ring, static_cast<int>(q.buffer_ring_pending));
  q.buffer_ring_pending = 0;
}

uint16_t UringBackend::Receive(uint16_t queue, std::span<Packet*> out) {
  Queue& q = *queues_[queue];
  Reap(q);
  Arm(q);
  Submit(q);
  uint16_t count = 0;
  while (count < out.size() && q.stash_count > 0) {
    out[count++] = q.stash[q.stash_head];
    q.stash_head = (q.stash_head + 1) & q.stash_mask;
    --q.stash_count;
  }
  return count;
}

uint16_t UringBackend::Send(uint16_t queue, std::span<const OutPacket> packets) {
  Queue& q = *queues_[queue];
  uint16_t accepted = 0;
  for (const OutPacket& packet : packets) {
    // A payload from another queue's pool cannot be referenced here; it is copied instead.
    const bool shared =
        packet.payload != nullptr && packet.payload_length > 0 && packet.payload->handle == &q.pool;
    const size_t copied = packet.header.size() + (shared ? 0 : packet.payload_length);
    if (copied > q.tx_header_size) {
      q.counters.Drop(DropReason::kTxTooBig);
      continue;
    }
    if (q.tx_free.empty()) {
      Submit(q);
      Reap(q);
    }
    if (q.tx_free.empty() && q.unsubmitted == 0) {
      // Every slot is in flight: the kernel completes UDP sends quickly, so wait for one.
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe(&q.ring, &cqe) == 0) Reap(q);
    }
    if (q.tx_free.empty()) {
      q.counters.Drop(DropReason::kTxNoBuffer);
      continue;
    }
    const uint32_t slot = q.tx_free.back();
    TxSlot& tx = q.tx_slots[slot];
    uint8_t* header = q.tx_headers + static_cast<size_t>(slot) * q.tx_header_size;
    if (!packet.header.empty()) std::memcpy(header, packet.header.data(), packet.header.size());
    OutPacket described = packet;
    if (!shared && packet.payload_length > 0) {
      std::memcpy(header + packet.header.size(), packet.payload_data(), packet.payload_length);
      described = OutPacket::Contiguous(packet.destination, {header, copied});
    }
    if (!DescribeSend(described, header, family_, &tx.name, tx.iov, &tx.message)) {
      q.counters.Drop(DropReason::kTxNoRoute);
      continue;
    }
    io_uring_sqe* sqe = GetSqe(q);
    if (sqe == nullptr) {
      q.counters.Drop(DropReason::kTxNoBuffer);
      continue;
    }
    q.tx_free.pop_back();
    tx.payload = shared ? const_cast<Packet*>(packet.payload) : nullptr;
    if (tx.payload != nullptr) q.pool.Ref(tx.payload);
    io_uring_prep_sendmsg(sqe, q.sqe_socket, &tx.message, MSG_DONTWAIT);
    sqe->flags |= q.sqe_flags;
    io_uring_sqe_set_data64(sqe, UserData(Op::kSend, slot));
    ++accepted;
  }
  return accepted;
}

void UringBackend::Flush(uint16_t queue) {
  Queue& q = *queues_[queue];
  Submit(q);
  Reap(q);
}

void UringBackend::Free(uint16_t queue, std::span<Packet* const> packets) {
  Queue& q = *queues_[queue];
  for (Packet* packet : packets) {
    if (q.pool.Release(packet)) ReturnBuffer(q, packet);
  }
  PublishBuffers(q);
}

bool UringBackend::Wait(uint16_t queue, std::chrono::milliseconds timeout) {
  Queue& q = *queues_[queue];
  if (q.stash_count > 0 || io_uring_cq_ready(&q.ring) > 0) return true;
  Arm(q);
  __kernel_timespec timespec{};
  timespec.tv_sec = timeout.count() / 1000;
  timespec.tv_nsec = (timeout.count() % 1000) * 1000000;
  io_uring_cqe* cqe = nullptr;
  const int result = io_uring_submit_and_wait_timeout(&q.ring, &cqe, 1, &timespec, nullptr);
  q.unsubmitted = io_uring_sq_ready(&q.ring);
  if (result == -ETIME) return false;
  return true;
}

void UringBackend::Wake(uint16_t queue) { SignalEventFd(queues_[queue]->wake_fd); }

}  // namespace mgw::io
