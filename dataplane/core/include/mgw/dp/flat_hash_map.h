#pragma once

// Fixed-capacity open-addressing hash map (linear probing, backward-shift deletion, no
// tombstones) for the packet path: every slot is allocated when the map is built, so Find, Insert
// and Erase never allocate. The load factor stays at or below 1/2, which keeps probe chains short
// even when the table is full to its stated capacity.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mgw::dp {

// Finalizer from splitmix64: integer keys such as SSRCs are often sequential or share low bits.
struct IntegerHash {
  uint64_t operator()(uint64_t x) const {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }
};

template <typename Key, typename Value, typename Hash = IntegerHash>
class FlatHashMap {
 public:
  // Holds up to `max_entries` entries; slots for all of them are allocated here.
  explicit FlatHashMap(size_t max_entries)
      : slots_(std::bit_ceil(max_entries < 4 ? size_t{8} : max_entries * 2)),
        mask_(slots_.size() - 1),
        max_entries_(max_entries) {}

  size_t size() const { return size_; }
  size_t max_entries() const { return max_entries_; }
  bool full() const { return size_ >= max_entries_; }

  Value* Find(const Key& key) {
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
    }
  }

  const Value* Find(const Key& key) const { return const_cast<FlatHashMap*>(this)->Find(key); }

  // Starts loading the key's home slot, for a Find a little later (a burst's first pass).
  void Prefetch(const Key& key) const { __builtin_prefetch(&slots_[Home(key)]); }

  bool Contains(const Key& key) const { return Find(key) != nullptr; }

  // False when the key is already present or the map holds max_entries entries.
  bool Insert(const Key& key, const Value& value) {
    if (full()) return false;
    size_t i = Home(key);
    for (; slots_[i].used; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return false;
    }
    slots_[i] = Slot{key, value, true};
    ++size_;
    return true;
  }

  // Inserts or overwrites; false only when a new key does not fit.
  bool InsertOrAssign(const Key& key, const Value& value) {
    if (Value* v = Find(key)) {
      *v = value;
      return true;
    }
    return Insert(key, value);
  }

  bool Erase(const Key& key) {
    size_t i = Home(key);
    for (;; i = (i + 1) & mask_) {
      if (!slots_[i].used) return false;
      if (slots_[i].key == key) break;
    }
    // Backward shift: pull later members of the probe chain into the hole so lookups never need
    // tombstones.
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
      const size_t home = Home(slots_[j].key);
      // Move slot j into the hole unless its home lies cyclically in (hole, j].
      const bool home_after_hole = ((j - home) & mask_) < ((j - hole) & mask_);
      if (!home_after_hole) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole].used = false;
    --size_;
    return true;
  }

  void Clear() {
    for (Slot& s : slots_) s.used = false;
    size_ = 0;
  }

  // Visits every entry as fn(key, value); the map must not be modified during the visit.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.used) fn(s.key, s.value);
    }
  }

 private:
  struct Slot {
    Key key{};
    Value value{};
    bool used = false;
  };

  size_t Home(const Key& key) const { return static_cast<size_t>(Hash{}(key)) & mask_; }

  std::vector<Slot> slots_;
  size_t mask_;
  size_t max_entries_;
  size_t size_ = 0;
};

}  // namespace mgw::dp
