#include "posix_backend.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace mgw::io {

BackendResult PosixBackend::Create(const BackendConfig& config) {
  std::unique_ptr<PosixBackend> backend(new PosixBackend());
  std::vector<int> fds;
  std::string error;
  if (!OpenQueueSockets(config, /*nonblocking=*/true, &fds, &backend->local_, &error)) {
    return {nullptr, "posix backend: " + error};
  }
  backend->family_ = backend->local_.address.is_v6() ? AF_INET6 : AF_INET;
  for (size_t id = 0; id < fds.size(); ++id) {
    auto queue =
        std::make_unique<Queue>(config.packets_per_queue, config.buffer_size, config.headroom);
    queue->fd = fds[id];
    queue->id = id;
    queue->wake_fd = CreateEventFd();
    backend->queues_.push_back(std::move(queue));
    if (backend->queues_.back()->wake_fd < 0) {
      return {nullptr, "posix backend: eventfd: " + ErrnoText(errno)};
    }
  }
  return {std::move(backend), ""};
}

PosixBackend::~PosixBackend() {
  for (auto& queue : queues_) {
    if (queue->fd >= 0) close(queue->fd);
    if (queue->wake_fd >= 0) close(queue->wake_fd);
  }
}

uint16_t PosixBackend::Receive(uint16_t queue, std::span<Packet*> out) {
  Queue& q = *queues_[queue];
  const uint32_t want = std::min<size_t>(out.size(), kBurstSize);
  uint32_t posted = 0;
  for (; posted < want; ++posted) {
    Packet* packet = q.pool.Allocate();
    if (packet == nullptr) break;
    q.rx_packets[posted] = packet;
    q.rx_iov[posted] = {packet->data, packet->tailroom};
    msghdr& header = q.rx_messages[posted].msg_hdr;
    header = {};
    header.msg_name = &q.rx_names[posted];
    header.msg_namelen = sizeof(sockaddr_storage);
    header.msg_iov = &q.rx_iov[posted];
    header.msg_iovlen = 1;
    header.msg_control = q.rx_control[posted].data();
    header.msg_controllen = kReceiveControlBytes;
  }
  if (posted == 0) {
    if (want > 0) q.counters.Drop(DropReason::kRxNoBuffer);
    return 0;
  }

  const int received = recvmmsg(q.fd, q.rx_messages.data(), posted, MSG_DONTWAIT, nullptr);
  if (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    q.counters.Drop(DropReason::kRxError);
  }
  uint16_t count = 0;
  uint64_t bytes = 0;
  const uint32_t done = received > 0 ? static_cast<uint32_t>(received) : 0;
  for (uint32_t i = 0; i < done; ++i) {
    Packet* packet = q.rx_packets[i];
    const msghdr& header = q.rx_messages[i].msg_hdr;
    const ReceiveControl control = ParseReceiveControl(header);
    if (control.has_overflow) {
      q.counters.drops[size_t(DropReason::kRxKernelOverflow)].Set(control.overflow);
    }
    if ((header.msg_flags & MSG_TRUNC) != 0) {
      q.counters.Drop(DropReason::kRxTruncated);
      q.pool.Free(packet);
      continue;
    }
    packet->length = q.rx_messages[i].msg_len;
    packet->tailroom -= packet->length;
    packet->queue = q.id;
    packet->source =
        EndpointFromSockaddr(reinterpret_cast<const sockaddr*>(header.msg_name), header.msg_namelen)
            .value_or(Endpoint{});
    packet->destination = local_;
    if (control.has_destination) packet->destination.address = control.destination;
    bytes += packet->length;
    out[count++] = packet;
  }
  for (uint32_t i = done; i < posted; ++i) q.pool.Free(q.rx_packets[i]);
  q.counters.rx_packets.Add(count);
  q.counters.rx_bytes.Add(bytes);
  return count;
}

uint16_t PosixBackend::Send(uint16_t queue, std::span<const OutPacket> packets) {
  Queue& q = *queues_[queue];
  uint16_t accepted = 0;
  while (!packets.empty()) {
    const size_t chunk = std::min<size_t>(packets.size(), kSendBatch);
    accepted += SendChunk(q, packets.first(chunk));
    packets = packets.subspan(chunk);
  }
  return accepted;
}

uint16_t PosixBackend::SendChunk(Queue& q, std::span<const OutPacket> packets) {
  uint32_t described = 0;
  for (const OutPacket& packet : packets) {
    if (!DescribeSend(packet, packet.header.data(), family_, &q.tx_names[described],
                      q.tx_iov[described], &q.tx_messages[described].msg_hdr)) {
      q.counters.Drop(DropReason::kTxNoRoute);
      continue;
    }
    ++described;
  }

  uint16_t sent = 0;
  uint64_t bytes = 0;
  uint32_t next = 0;
  while (next < described) {
    const int result = sendmmsg(q.fd, &q.tx_messages[next], described - next, MSG_DONTWAIT);
    if (result > 0) {
      for (int i = 0; i < result; ++i) bytes += q.tx_messages[next + i].msg_len;
      sent += result;
      next += result;
      continue;
    }
    // The message at `next` failed: count it and go on with the rest, except when the socket
    // is simply full, where the rest would fail the same way.
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
      q.counters.Drop(DropReason::kTxWouldBlock, described - next);
      break;
    }
    DropReason reason = DropReason::kTxError;
    if (error == EMSGSIZE) reason = DropReason::kTxTooBig;
    if (error == ENETUNREACH || error == EHOSTUNREACH || error == EADDRNOTAVAIL ||
        error == EAFNOSUPPORT) {
      reason = DropReason::kTxNoRoute;
    }
    q.counters.Drop(reason);
    ++next;
  }
  q.counters.tx_packets.Add(sent);
  q.counters.tx_bytes.Add(bytes);
  return sent;
}

void PosixBackend::Free(uint16_t queue, std::span<Packet* const> packets) {
  Queue& q = *queues_[queue];
  for (Packet* packet : packets) q.pool.Free(packet);
}

bool PosixBackend::Wait(uint16_t queue, std::chrono::milliseconds timeout) {
  Queue& q = *queues_[queue];
  pollfd fds[2] = {{q.fd, POLLIN, 0}, {q.wake_fd, POLLIN, 0}};
  const int ready = poll(fds, 2, static_cast<int>(timeout.count()));
  if (ready <= 0) return false;
  if ((fds[1].revents & POLLIN) != 0) DrainEventFd(q.wake_fd);
  return true;
}

void PosixBackend::Wake(uint16_t queue) { SignalEventFd(queues_[queue]->wake_fd); }

}  // namespace mgw::io
