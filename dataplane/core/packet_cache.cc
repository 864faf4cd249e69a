#include "mgw/dp/packet_cache.h"

#include <bit>
#include <cstring>
#include <new>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mgw/dp/seq_num.h"

namespace mgw::dp {
namespace {

// The cache is written for every packet and read only for a NACK: non-temporal stores keep the
// copy from first reading each (cold) destination line and from evicting the packet path's own
// lines, which with thousands of streams was a third of the 10,000-publisher slowdown. `out` is
// 16-byte aligned (slots are 64-byte strides); the same thread reads it back, so no fence.
void CopyStreaming(uint8_t* out, const uint8_t* in, size_t size) {
#if defined(__SSE2__)
  size_t i = 0;
  for (; i + 16 <= size; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    _mm_stream_si128(reinterpret_cast<__m128i*>(out + i), v);
  }
  std::memcpy(out + i, in + i, size - i);
#else
  std::memcpy(out, in, size);
#endif
}

}  // namespace

PacketCache::PacketCache(const PacketCacheConfig& config)
    : config_(config),
      meta_(std::bit_ceil(config.capacity == 0 ? 1u : config.capacity)),
      mask_(meta_.size() - 1),
      stride_((config.slot_size + 63) / 64 * 64) {
  config_.capacity = static_cast<uint32_t>(meta_.size());
}

bool PacketCache::Store(std::span<const uint8_t> packet, uint16_t seq, uint64_t now_us) {
  if (packet.size() > config_.slot_size || packet.size() > UINT16_MAX) return false;
  const size_t index = seq & mask_;
  SlotMeta& m = meta_[index];
  if (m.used && m.seq != seq && SeqIsNewer(m.seq, seq) && IsFresh(m, now_us)) return false;
  // Default-initialised: the pages are committed as slots are first written, not here.
  if (!bytes_) bytes_.reset(new (std::align_val_t{64}) uint8_t[meta_.size() * stride_]);
  CopyStreaming(bytes_.get() + index * stride_, packet.data(), packet.size());
  m = SlotMeta{now_us, seq, static_cast<uint16_t>(packet.size()), true};
  return true;
}

CachedPacket PacketCache::Find(uint16_t seq, uint64_t now_us) {
  const size_t index = seq & mask_;
  const SlotMeta& m = meta_[index];
  if (!m.used || m.seq != seq) return CachedPacket{{}, DropReason::kCacheMiss};
  if (!IsFresh(m, now_us)) return CachedPacket{{}, DropReason::kCacheExpired};
  return CachedPacket{{bytes_.get() + index * stride_, m.size}, DropReason::kNone};
}

void PacketCache::Clear() {
  for (SlotMeta& m : meta_) m.used = false;
}

}  // namespace mgw::dp
