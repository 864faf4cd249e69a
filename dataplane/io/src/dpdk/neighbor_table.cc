#include "dpdk/neighbor_table.h"

namespace mgw::io {
namespace {

uint64_t Pack(const MacAddress& mac) {
  uint64_t bits = 0;
  for (int i = 0; i < 6; ++i) bits |= static_cast<uint64_t>(mac[i]) << (8 * i);
  return bits;
}

MacAddress Unpack(uint64_t bits) {
  MacAddress mac;
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(bits >> (8 * i));
  return mac;
}

}  // namespace

NeighborTable::Entry NeighborTable::Read(const Slot& slot) const {
  while (true) {
    const uint32_t before = slot.sequence.load(std::memory_order_acquire);
    if ((before & 1) != 0) continue;
    const Entry entry{slot.ip.load(std::memory_order_relaxed),
                      slot.mac.load(std::memory_order_relaxed),
                      slot.learned_at.load(std::memory_order_relaxed)};
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) == before) return entry;
  }
}

void NeighborTable::Write(Slot& slot, uint32_t ip, uint64_t mac, uint64_t learned_at) {
  const uint32_t sequence = slot.sequence.load(std::memory_order_relaxed);
  slot.sequence.store(sequence + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  slot.ip.store(ip, std::memory_order_relaxed);
  slot.mac.store(mac, std::memory_order_relaxed);
  slot.learned_at.store(learned_at, std::memory_order_relaxed);
  slot.sequence.store(sequence + 2, std::memory_order_release);
}

NeighborTable::State NeighborTable::Lookup(uint32_t ip, uint64_t now, const Ageing& ageing,
                                           MacAddress* mac) const {
  const uint32_t home = Home(ip);
  for (uint32_t probe = 0; probe < kMaxProbe; ++probe) {
    const Entry entry = Read(slots_[(home + probe) % kSlots]);
    if (entry.ip == ip) {
      if ((entry.mac & kResolved) == 0) return State::kMiss;
      State state = State::kFresh;
      if (ageing.reachable != 0 && now > entry.learned_at) {
        const uint64_t age = now - entry.learned_at;
        if (age >= ageing.reachable + ageing.probe) return State::kMiss;
        if (age >= ageing.reachable) state = State::kStale;
      }
      *mac = Unpack(entry.mac);
      return state;
    }
    if (entry.ip == 0) return State::kMiss;
  }
  return State::kMiss;
}

NeighborTable::Slot& NeighborTable::SlotFor(uint32_t ip, bool* existing) {
  const uint32_t home = Home(ip);
  Slot* empty = nullptr;
  for (uint32_t probe = 0; probe < kMaxProbe; ++probe) {
    Slot& slot = slots_[(home + probe) % kSlots];
    const uint32_t held = slot.ip.load(std::memory_order_relaxed);
    if (held == ip) {
      *existing = true;
      return slot;
    }
    if (held == 0 && empty == nullptr) empty = &slot;
  }
  *existing = false;
  if (empty != nullptr) return *empty;
  Slot& evicted = slots_[home];
  evicted.requested_at = 0;
  return evicted;
}

void NeighborTable::Learn(uint32_t ip, const MacAddress& mac, bool create, uint64_t now) {
  if (ip == 0) return;
  WriterLock lock(writer_);
  bool existing = false;
  Slot& slot = SlotFor(ip, &existing);
  if (!existing && !create) return;
  Write(slot, ip, Pack(mac) | kResolved, now);
  slot.requested_at = 0;  // answered: the next miss or staleness may ask at once
}

bool NeighborTable::ShouldRequest(uint32_t ip, uint64_t now, uint64_t interval) {
  if (ip == 0) return false;
  WriterLock lock(writer_);
  bool existing = false;
  Slot& slot = SlotFor(ip, &existing);
  if (!existing) {
    Write(slot, ip, 0, 0);
    slot.requested_at = 0;
  } else if (slot.requested_at != 0 && now - slot.requested_at < interval) {
    return false;
  }
  slot.requested_at = now == 0 ? 1 : now;
  return true;
}

}  // namespace mgw::io
