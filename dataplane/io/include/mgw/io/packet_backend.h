#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "mgw/io/endpoint.h"
#include "mgw/io/io_stats.h"
#include "mgw/io/packet.h"

namespace mgw::io {

// The burst interface every packet backend implements (dpdk, uring, posix), picked once at
// start-up by CreatePacketBackend.
//
// Threading: queue q belongs to one worker thread at a time; only that thread calls the per-queue
// methods (Receive, Send, Flush, Free, Wait, AttachWorker) with q, so a queue's state is never
// shared and never locked. Wake and Stats may be called from any thread. Distinct queues may be
// driven concurrently from distinct threads.
class PacketBackend {
 public:
  PacketBackend() = default;
  PacketBackend(const PacketBackend&) = delete;
  PacketBackend& operator=(const PacketBackend&) = delete;
  virtual ~PacketBackend() = default;

  // "posix", "uring" or "dpdk".
  virtual std::string_view name() const = 0;
  virtual uint16_t queue_count() const = 0;
  // The address and port packets are received on and sent from (the port the kernel chose when
  // 0 was configured).
  virtual Endpoint local_endpoint() const = 0;

  // Called once by the worker thread that will own `queue`, before its first Receive (dpdk
  // registers the thread with EAL so it gets mempool caches). Optional for the socket backends.
  virtual void AttachWorker(uint16_t /*queue*/) {}

  // Fills `out` with up to out.size() received packets and returns how many; never blocks. Each
  // returned packet belongs to the caller until Free.
  virtual uint16_t Receive(uint16_t queue, std::span<Packet*> out) = 0;

  // Takes every entry: each is transmitted, queued for transmission, or dropped and counted.
  // Returns how many were accepted (transmitted or queued). Entries' payload packets must have
  // been received on this queue (dpdk accepts any of its packets). Backends may hold accepted
  // packets until Flush.
  virtual uint16_t Send(uint16_t queue, std::span<const OutPacket> packets) = 0;

  // Pushes out whatever Send queued on `queue` and reaps send completions. Call once per loop
  // iteration, after the burst's last Send.
  virtual void Flush(uint16_t queue) = 0;

  // Gives received packets back (they may still be referenced by queued sends; the buffer is
  // reused when the last reference goes).
  virtual void Free(uint16_t queue, std::span<Packet* const> packets) = 0;

  // Sleeps until `queue` may have packets, Wake(queue) is called, or `timeout` passes; returns
  // false on timeout. Spurious true returns are allowed. Poll-mode backends (dpdk) return true at
  // once: their workers spin.
  virtual bool Wait(uint16_t queue, std::chrono::milliseconds timeout) = 0;

  // Makes a current or the next Wait(queue) return (e.g. a command was posted for the worker).
  virtual void Wake(uint16_t queue) = 0;

  virtual IoStats Stats(uint16_t queue) const = 0;
  // Stats summed over all queues.
  IoStats TotalStats() const;
};

}  // namespace mgw::io
