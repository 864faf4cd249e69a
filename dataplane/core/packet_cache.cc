#include "mgw/dp/packet_cache.h"

#include <bit>
#include <cstring>

#include "mgw/dp/seq_num.h"

namespace mgw::dp {

PacketCache::PacketCache(const PacketCacheConfig& config)
    : config_(config),
      meta_(std::bit_ceil(config.capacity == 0 ? 1u : config.capacity)),
      mask_(meta_.size() - 1) {
  config_.capacity = static_cast<uint32_t>(meta_.size());
}

bool PacketCache::Store(std::span<const uint8_t> packet, uint16_t seq, uint64_t now_us) {
  if (packet.size() > config_.slot_size || packet.size() > UINT16_MAX) return false;
  const size_t index = seq & mask_;
  SlotMeta& m = meta_[index];
  if (m.used && m.seq != seq && SeqIsNewer(m.seq, seq) && IsFresh(m, now_us)) return false;
  // Default-initialised: the pages are committed as slots are first written, not here.
  if (!bytes_) bytes_.reset(new uint8_t[meta_.size() * config_.slot_size]);
  std::memcpy(bytes_.get() + index * config_.slot_size, packet.data(), packet.size());
  m = SlotMeta{now_us, seq, static_cast<uint16_t>(packet.size()), true};
  return true;
}

CachedPacket PacketCache::Find(uint16_t seq, uint64_t now_us) {
  const size_t index = seq & mask_;
  const SlotMeta& m = meta_[index];
  if (!m.used || m.seq != seq) return CachedPacket{{}, DropReason::kCacheMiss};
  if (!IsFresh(m, now_us)) return CachedPacket{{}, DropReason::kCacheExpired};
  return CachedPacket{{bytes_.get() + index * config_.slot_size, m.size}, DropReason::kNone};
}

void PacketCache::Clear() {
  for (SlotMeta& m : meta_) m.used = false;
}

}  // namespace mgw::dp
