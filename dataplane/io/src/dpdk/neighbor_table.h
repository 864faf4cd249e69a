#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "mgw/io/backend_config.h"

namespace mgw::io {

// IPv4 -> MAC for the dpdk backend's on-link next hops. Shared by all queues: lookups (every
// send) are lock-free seqlock reads; updates come only from ARP traffic and misses, and take a
// spinlock between themselves. A fixed open-addressing table, nothing allocated.
//
// Entries age like the kernel's neighbour cache: an entry learned (or refreshed by any ARP from
// its address) less than `reachable` ago is fresh; after that it is stale: still used, but the
// caller should ask again (rate limited by ShouldRequest) so that a neighbour whose MAC changed
// without a gratuitous ARP is found again; an entry not refreshed within `reachable + probe`
// is gone, and sends to it wait for ARP like a first send. Times are the caller's ticks.
class NeighborTable {
 public:
  static constexpr uint32_t kSlots = 256;
  static constexpr uint32_t kMaxProbe = 16;

  struct Ageing {
    uint64_t reachable = 0;  // 0: entries never age
    uint64_t probe = 0;      // how long a stale entry is still used while asking again
  };
  enum class State : uint8_t { kMiss, kFresh, kStale };

  // Any thread. kMiss when `ip` (host order) has no usable MAC at `now`; otherwise the MAC.
  State Lookup(uint32_t ip, uint64_t now, const Ageing& ageing, MacAddress* mac) const;

  // Records `ip` -> `mac`, learned at `now`. With create == false only an existing entry is
  // updated (ARP requests not addressed to us refresh, they do not fill the table).
  void Learn(uint32_t ip, const MacAddress& mac, bool create, uint64_t now);

  // For a miss: returns true (and remembers `now`) when no ARP request for `ip` went out in the
  // last `interval` ticks, so the caller sends one.
  bool ShouldRequest(uint32_t ip, uint64_t now, uint64_t interval);

 private:
  struct Slot {
    std::atomic<uint32_t> sequence{0};  // odd while a writer is inside
    std::atomic<uint32_t> ip{0};        // 0: empty
    std::atomic<uint64_t> mac{0};       // 48-bit MAC, kResolved when valid
    std::atomic<uint64_t> learned_at{0};
    uint64_t requested_at = 0;  // writers only
  };
  static constexpr uint64_t kResolved = 1ull << 63;

  struct Entry {
    uint32_t ip;
    uint64_t mac;
    uint64_t learned_at;
  };
  Entry Read(const Slot& slot) const;
  void Write(Slot& slot, uint32_t ip, uint64_t mac, uint64_t learned_at);
  // Writers: the slot holding `ip`, else an empty one, else the home slot (evicted).
  Slot& SlotFor(uint32_t ip, bool* existing);
  static uint32_t Home(uint32_t ip) { return (ip * 2654435761u) >> 24; }

  class WriterLock {
   public:
    explicit WriterLock(std::atomic_flag& flag) : flag_(flag) {
      while (flag_.test_and_set(std::memory_order_acquire)) {
      }
    }
    ~WriterLock() { flag_.clear(std::memory_order_release); }

   private:
    std::atomic_flag& flag_;
  };

  std::array<Slot, kSlots> slots_;
  std::atomic_flag writer_ = ATOMIC_FLAG_INIT;
};

}  // namespace mgw::io
