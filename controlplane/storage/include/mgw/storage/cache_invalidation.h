#pragma once

#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mgw::storage {

// Why a read cache dropped an entry (the label of mgw_cache_evictions_total).
enum class EvictionCause {
  kLocalWrite,    // a write committed by this process changed it
  kNotification,  // another control plane's write, told by NOTIFY mgw_cache
  kMaxAge,        // older than max_age (the bound if a notification is ever lost)
  kCapacity,      // least recently used, to make room
  kFlush,         // everything at once: the LISTEN connection was lost or came back
};
inline constexpr int kEvictionCauseCount = 5;
std::string_view ToString(EvictionCause cause);

// The channel every write that changes a cached fact notifies on (PostgreSQL), with the keys it
// changed as payload, separated by '\n'.
inline constexpr std::string_view kCacheChannel = "mgw_cache";

// What a key names, "<kind>:<id>":
//   token:<sha256 hex>  a bearer token or API key with this hash
//   account:<id>        every credential of the account
//   meeting:<id>        a meeting (its row or its open participations); meeting:* all of them
//   node:<id>           a dataplane node
//   *                   everything
// A write names the keys of what it changed with Transaction::MarkChanged (or MarkChanged below).
std::string CacheKey(std::string_view kind, std::string_view id);
// The payload of one NOTIFY for `keys` ("*" when they would not fit in one, or hold a '\n').
std::string CacheNotificationPayload(std::span<const std::string> keys);

// Something that caches what the database says and must hear of changes: the read caches.
class CacheSubscriber {
 public:
  virtual ~CacheSubscriber() = default;
  // `kind` and `id` split from one key ("*" has kind "*" and an empty id).
  virtual void OnChanged(std::string_view kind, std::string_view id, EvictionCause cause) = 0;
  // True: serve nothing and keep nothing (drop everything now); false: cache again (drop
  // everything first, since what changed meanwhile was not heard).
  virtual void SetBypass(bool bypass) = 0;
};

// One per Database (Database::invalidation()): the writes of this process and, in PostgreSQL mode,
// the notifications of the others (CacheListener) arrive here and go to every subscribed cache.
// Thread-safe. Subscribers must unsubscribe before they are destroyed.
class CacheInvalidationBus {
 public:
  void Subscribe(CacheSubscriber* subscriber);
  void Unsubscribe(CacheSubscriber* subscriber);

  // Hands every key to every subscriber.
  void Publish(std::span<const std::string> keys, EvictionCause cause);
  // A NOTIFY payload (CacheNotificationPayload) from another control plane.
  void PublishPayload(std::string_view payload, EvictionCause cause);

  // While bypassing, the caches serve nothing (in PostgreSQL mode: until the LISTEN connection
  // is up, and whenever it is lost). Subscribers start in the bus's current state.
  void SetBypass(bool bypass);
  bool bypassing() const;

 private:
  mutable std::mutex mutex_;
  std::vector<CacheSubscriber*> subscribers_;
  bool bypass_ = false;
};

class SqlExecutor;

// For a store method that writes through any executor: on a Transaction, the same as
// Transaction::MarkChanged (NOTIFY inside it, local eviction after its commit). On a Database the
// statement has already committed (auto-commit): NOTIFY (PostgreSQL) and evict now, through its
// bus. On a bare Connection only the NOTIFY (it knows no bus; stores are not used that way).
void MarkChanged(SqlExecutor& executor, std::string key);

}  // namespace mgw::storage
