#pragma once

#include <optional>

#include "mgw/common/metrics.h"
#include "mgw/service/caller.h"
#include "mgw/storage/cache_listener.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/dataplane_node_store.h"
#include "mgw/storage/meeting_store.h"
#include "mgw/storage/read_cache.h"

namespace mgw::service {

// An authenticated credential (bearer token or API key) as the Authenticator established it,
// with the credential's own expiry, checked with the clock on every hit.
struct CachedCredential {
  Caller caller;
  std::optional<storage::TimePoint> expires_at;  // none: an API key without expiry
};

// The read caches in front of the hottest reads (controlplane.cache.*): the credential of every
// authenticated request (keyed by its SHA-256; invalidated by token:<hash> and account:<id>) and
// what GET /meeting/{id} returns (the meeting with its participant count, keyed by id; its node,
// keyed by node id). All subscribe to the database's CacheInvalidationBus, so every store write
// that changes one of these facts evicts it after its commit, here and (PostgreSQL, through NOTIFY
// and CacheListener) in every other control plane. See storage/read_cache.h for the generation
// check that keeps a read that raced a write out of the cache.
struct ReadCaches {
  ReadCaches(storage::Database& db, const storage::Clock& clock, storage::ReadCacheOptions options);

  storage::ReadCache<CachedCredential> credentials;
  storage::ReadCache<storage::Meeting> meetings;
  storage::ReadCache<storage::DataplaneNode> nodes;  // one shard: few nodes, tickets by node
};

// mgw_cache_hits_total, mgw_cache_misses_total, mgw_cache_evictions_total{cause}, mgw_cache_entries
// (label cache = credentials, meetings, nodes) and, with a listener (PostgreSQL),
// mgw_cache_listen_up, mgw_cache_notifications_total, mgw_cache_listen_losses_total. The caches
// and the listener must outlive the registry's scrapes.
void AddCacheMetrics(metrics::Registry& registry, const ReadCaches& caches,
                     const storage::CacheListener* listener);

}  // namespace mgw::service
