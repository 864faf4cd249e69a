#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mgw/io/packet.h"

namespace mgw::io {

// A fixed set of packets with their buffers, allocated once; used by one thread (a worker's
// queue), so nothing here is atomic. Buffers are buffer_size bytes, 64-byte aligned; a fresh
// packet's data starts `headroom` bytes in.
class PacketPool {
 public:
  PacketPool(uint32_t count, uint32_t buffer_size, uint32_t headroom);
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;
  ~PacketPool();

  // A packet with one reference and an empty payload, or nullptr when none is free.
  Packet* Allocate();
  void Ref(Packet* packet) { ++packet->refs; }
  // Drops one reference; returns true when it was the last, the caller then decides where the
  // slot goes (Recycle, or an io_uring buffer ring).
  bool Release(Packet* packet) { return --packet->refs == 0; }
  // Puts an unreferenced slot back on the free list.
  void Recycle(Packet* packet) { free_[free_count_++] = packet->slot; }
  void Free(Packet* packet) {
    if (Release(packet)) Recycle(packet);
  }

  // Resets `packet` to an empty payload at the default headroom.
  void Reset(Packet* packet) const;

  Packet* at(uint32_t slot) { return &packets_[slot]; }
  uint8_t* buffer(uint32_t slot) const {
    return buffers_ + static_cast<size_t>(slot) * buffer_size_;
  }
  uint32_t count() const { return count_; }
  uint32_t available() const { return free_count_; }
  uint32_t buffer_size() const { return buffer_size_; }
  uint32_t headroom() const { return headroom_; }

 private:
  uint32_t count_;
  uint32_t buffer_size_;
  uint32_t headroom_;
  uint8_t* buffers_ = nullptr;
  size_t buffers_bytes_ = 0;
  std::unique_ptr<Packet[]> packets_;
  std::unique_ptr<uint32_t[]> free_;
  uint32_t free_count_ = 0;
};

}  // namespace mgw::io
