#pragma once

// Recent RTP packets of one publisher stream, kept to answer NACKs. A ring of fixed-size slots
// indexed by sequence number (capacity is a power of two, so the index survives the 16-bit wrap).
// The slots' bytes (capacity x slot_size, 768 KiB by default) are allocated, uninitialised, at
// the first Store and never again: a stream that sends nothing to this forwarder (one that
// another worker receives, a participant that never turns its camera on, the control thread's
// replica) costs only the slots' metadata. Entries expire by age, so depth is bounded both in
// time and in packets.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include "mgw/dp/drop_reason.h"

namespace mgw::dp {

struct PacketCacheConfig {
  uint32_t capacity = 512;          // packets; rounded up to a power of two
  uint64_t max_age_us = 1'000'000;  // older packets are not retransmitted
  uint32_t slot_size = 1500;        // larger packets are not cached
};

struct CachedPacket {
  std::span<uint8_t> bytes;               // unprotected RTP packet as received; empty on a miss
  DropReason reason = DropReason::kNone;  // kCacheMiss or kCacheExpired on a miss
};

class PacketCache {
 public:
  explicit PacketCache(const PacketCacheConfig& config);

  // Copies `packet` (an unprotected RTP packet with sequence number `seq`). A slot holding a newer,
  // still fresh packet is kept, so a late retransmission cannot evict live data. Returns false
  // when the packet was not stored.
  bool Store(std::span<const uint8_t> packet, uint16_t seq, uint64_t now_us);

  // The view stays valid until the next Store or Clear. Callers may parse it in place but must
  // not modify it.
  CachedPacket Find(uint16_t seq, uint64_t now_us);

  void Clear();
  size_t capacity() const { return meta_.size(); }
  // Whether the slots' bytes are allocated (something was stored).
  bool allocated() const { return bytes_ != nullptr; }
  const PacketCacheConfig& config() const { return config_; }

 private:
  struct SlotMeta {
    uint64_t stored_us = 0;
    uint16_t seq = 0;
    uint16_t size = 0;
    bool used = false;
  };

  bool IsFresh(const SlotMeta& m, uint64_t now_us) const {
    return now_us - m.stored_us <= config_.max_age_us;
  }

  PacketCacheConfig config_;
  std::vector<SlotMeta> meta_;
  struct AlignedDelete {
    void operator()(uint8_t* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::unique_ptr<uint8_t[], AlignedDelete> bytes_;  // capacity * stride_, from the first Store
  size_t mask_;
  size_t stride_;  // slot_size rounded up to a 64-byte line
};

}  // namespace mgw::dp
