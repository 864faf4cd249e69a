#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mgw/storage/cache_invalidation.h"
#include "mgw/storage/clock.h"

namespace mgw::storage {

struct ReadCacheOptions {
  bool enabled = true;
  std::size_t entries = 10000;  // at most, over all shards
  // An entry older than this is not served: the bound on staleness if a notification is lost.
  std::chrono::milliseconds max_age{2000};
};

// Counters of one cache, read by the metrics collector.
struct ReadCacheStats {
  std::atomic<std::uint64_t> hits{0};
  std::atomic<std::uint64_t> misses{0};
  std::array<std::atomic<std::uint64_t>, kEvictionCauseCount> evictions{};
};

// A bounded read cache (LRU per shard) in front of database reads, kept correct by invalidation:
// it subscribes to a CacheInvalidationBus and drops what the writes name.
//
// The race "a reader reads the old row, a writer commits and evicts, the reader then inserts the
// old row" is closed by generations: Ticket() is taken before the read, and Insert() keeps the
// value only when no invalidation reached the key's shard (or the whole cache) since. Entries
// older than max_age, by the injected clock, are not served. Thread-safe.
//
// `kind` is the key kind whose id is this cache's key (e.g. "meeting"); `secondary` maps other
// kinds to a predicate over (id, value) that selects the entries they invalidate (e.g.
// "account" → every credential of that account); "*" and "<kind>:*" drop everything.
template <typename V>
class ReadCache final : public CacheSubscriber {
 public:
  using Predicate = std::function<bool(std::string_view id, const V& value)>;

  struct Ticket {
    std::size_t shard = 0;
    std::uint64_t generation = 0;
  };

  ReadCache(std::string name, std::string kind, const Clock& clock, ReadCacheOptions options,
            CacheInvalidationBus* bus,
            std::vector<std::pair<std::string, Predicate>> secondary = {}, std::size_t shards = 16)
      : name_(std::move(name)),
        kind_(std::move(kind)),
        clock_(clock),
        options_(options),
        bus_(bus),
        secondary_(std::move(secondary)) {
    if (options_.entries < shards || shards == 0) shards = 1;
    shard_count_ = shards;
    shards_ = std::make_unique<Shard[]>(shards);
    per_shard_ = std::max<std::size_t>(1, (options_.entries + shards - 1) / shards);
    if (bus_ != nullptr) bus_->Subscribe(this);
  }
  ~ReadCache() override {
    if (bus_ != nullptr) bus_->Unsubscribe(this);
  }
  ReadCache(const ReadCache&) = delete;
  ReadCache& operator=(const ReadCache&) = delete;

  const std::string& name() const { return name_; }
  bool enabled() const { return options_.enabled; }
  bool bypassing() const { return bypass_.load(std::memory_order_acquire); }
  const ReadCacheStats& stats() const { return stats_; }

  // The value if cached and younger than max_age. Counts a hit or a miss (nothing when disabled).
  std::optional<V> Find(std::string_view key) {
    if (!options_.enabled) return std::nullopt;
    if (bypassing()) {
      stats_.misses.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    Shard& shard = ShardOf(key);
    const TimePoint now = clock_.Now();
    std::lock_guard lock(shard.mutex);
    auto it = shard.index.find(key);
    if (it == shard.index.end()) {
      stats_.misses.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    if (now - it->second->inserted_at >= options_.max_age) {
      EraseLocked(shard, it->second, EvictionCause::kMaxAge);
      stats_.misses.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    stats_.hits.fetch_add(1, std::memory_order_relaxed);
    return it->second->value;
  }

  // Take before reading the database for `key`; hand to Insert().
  Ticket TicketFor(std::string_view key) const {
    const std::size_t index = ShardIndex(key);
    return {index, Generation(index)};
  }

  // Keeps `value` unless an invalidation reached its shard since `ticket` was taken (the read
  // may predate a write), the cache is bypassing or disabled. True when kept.
  bool Insert(std::string key, V value, Ticket ticket) {
    if (!options_.enabled || bypassing() || ShardIndex(key) != ticket.shard) return false;
    Shard& shard = shards_[ticket.shard];
    const TimePoint now = clock_.Now();
    std::lock_guard lock(shard.mutex);
    if (Generation(ticket.shard) != ticket.generation) return false;
    auto it = shard.index.find(std::string_view(key));
    if (it != shard.index.end()) EraseLocked(shard, it->second, std::nullopt);
    shard.lru.push_front(Entry{std::move(key), std::move(value), now});
    shard.index.emplace(std::string_view(shard.lru.front().key), shard.lru.begin());
    while (shard.lru.size() > per_shard_) {
      EraseLocked(shard, std::prev(shard.lru.end()), EvictionCause::kCapacity);
    }
    return true;
  }

  // Drops `key` (counted when it was there).
  void Evict(std::string_view key, EvictionCause cause) {
    Shard& shard = ShardOf(key);
    std::lock_guard lock(shard.mutex);
    shard.generation.fetch_add(1, std::memory_order_acq_rel);
    auto it = shard.index.find(key);
    if (it != shard.index.end()) EraseLocked(shard, it->second, cause);
  }

  // Drops every entry `predicate(value)` selects.
  void EvictIf(const std::function<bool(const V&)>& predicate, EvictionCause cause) {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mutex);
      shard.generation.fetch_add(1, std::memory_order_acq_rel);
      for (auto it = shard.lru.begin(); it != shard.lru.end();) {
        auto next = std::next(it);
        if (predicate(it->value)) EraseLocked(shard, it, cause);
        it = next;
      }
    }
  }

  void Flush(EvictionCause cause) {
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    for (std::size_t i = 0; i < shard_count_; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mutex);
      while (!shard.lru.empty()) EraseLocked(shard, shard.lru.begin(), cause);
    }
  }

  std::size_t size() const {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      const Shard& shard = shards_[i];
      std::lock_guard lock(shard.mutex);
      total += shard.lru.size();
    }
    return total;
  }

  // CacheSubscriber.
  void OnChanged(std::string_view kind, std::string_view id, EvictionCause cause) override {
    if (kind == "*" || (kind == kind_ && id == "*")) {
      Flush(cause);
    } else if (kind == kind_) {
      Evict(id, cause);
    } else {
      for (const auto& [secondary_kind, predicate] : secondary_) {
        if (kind != secondary_kind) continue;
        EvictIf([&](const V& value) { return predicate(id, value); }, cause);
      }
    }
  }
  void SetBypass(bool bypass) override {
    // Bypass first, then drop: a reader between the two is refused by the epoch.
    if (bypass) bypass_.store(true, std::memory_order_release);
    Flush(EvictionCause::kFlush);
    if (!bypass) bypass_.store(false, std::memory_order_release);
  }

 private:
  struct Entry {
    std::string key;
    V value;
    TimePoint inserted_at;
  };
  using Lru = std::list<Entry>;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mutex;
    Lru lru;  // most recently used first
    std::unordered_map<std::string_view, typename Lru::iterator, Hash, std::equal_to<>> index;
    std::atomic<std::uint64_t> generation{0};
  };

  std::size_t ShardIndex(std::string_view key) const {
    return shard_count_ == 1 ? 0 : std::hash<std::string_view>{}(key) % shard_count_;
  }
  Shard& ShardOf(std::string_view key) { return shards_[ShardIndex(key)]; }
  // The shard's generation and the cache's epoch (bumped by Flush) in one number.
  std::uint64_t Generation(std::size_t shard) const {
    return shards_[shard].generation.load(std::memory_order_acquire) +
           (epoch_.load(std::memory_order_acquire) << 40);
  }

  void EraseLocked(Shard& shard, typename Lru::iterator it, std::optional<EvictionCause> cause) {
    shard.index.erase(std::string_view(it->key));
    shard.lru.erase(it);
    if (cause) stats_.evictions[static_cast<int>(*cause)].fetch_add(1, std::memory_order_relaxed);
  }

  std::string name_;
  std::string kind_;
  const Clock& clock_;
  ReadCacheOptions options_;
  CacheInvalidationBus* bus_;
  std::vector<std::pair<std::string, Predicate>> secondary_;
  std::size_t shard_count_ = 1;
  std::unique_ptr<Shard[]> shards_;
  std::size_t per_shard_ = 1;
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<bool> bypass_{false};
  ReadCacheStats stats_;
};

}  // namespace mgw::storage
