#include "mgw/service/read_caches.h"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace mgw::service {
namespace {

bool SameAccount(std::string_view id, const CachedCredential& credential) {
  std::int64_t account = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), account);
  return ec == std::errc() && end == id.data() + id.size() &&
         credential.caller.account_id == account;
}

template <typename V>
void WriteStats(metrics::TextWriter& out, const storage::ReadCache<V>& cache, int what) {
  const storage::ReadCacheStats& stats = cache.stats();
  const metrics::Labels labels{{"cache", cache.name()}};
  switch (what) {
    case 0:
      out.Sample("mgw_cache_hits_total", labels, static_cast<double>(stats.hits.load()));
      break;
    case 1:
      out.Sample("mgw_cache_misses_total", labels, static_cast<double>(stats.misses.load()));
      break;
    case 2:
      for (int cause = 0; cause < storage::kEvictionCauseCount; ++cause) {
        out.Sample("mgw_cache_evictions_total",
                   {{"cache", cache.name()},
                    {"cause", std::string(ToString(static_cast<storage::EvictionCause>(cause)))}},
                   static_cast<double>(stats.evictions[cause].load()));
      }
      break;
    default:
      out.Sample("mgw_cache_entries", labels, static_cast<double>(cache.size()));
  }
}

}  // namespace

ReadCaches::ReadCaches(storage::Database& db, const storage::Clock& clock,
                       storage::ReadCacheOptions options)
    : credentials("credentials", "token", clock, options, &db.invalidation(),
                  {{"account", SameAccount}}),
      meetings("meetings", "meeting", clock, options, &db.invalidation()),
      nodes("nodes", "node", clock, options, &db.invalidation(), {}, /*shards=*/1) {}

void AddCacheMetrics(metrics::Registry& registry, const ReadCaches& caches,
                     const storage::CacheListener* listener) {
  registry.AddCollector([&caches, listener](metrics::TextWriter& out) {
    static constexpr struct {
      const char* name;
      const char* help;
      metrics::MetricType type;
    } kFamilies[] = {
        {"mgw_cache_hits_total", "Reads answered by a control-plane read cache.",
         metrics::MetricType::kCounter},
        {"mgw_cache_misses_total", "Reads a read cache could not answer (went to the database).",
         metrics::MetricType::kCounter},
        {"mgw_cache_evictions_total",
         "Entries dropped, by cause: local_write (this process's write), notification (another "
         "control plane's), max_age, capacity, flush (the LISTEN connection was lost or is back).",
         metrics::MetricType::kCounter},
        {"mgw_cache_entries", "Entries held.", metrics::MetricType::kGauge},
    };
    for (int what = 0; what < 4; ++what) {
      out.Family(kFamilies[what].name, kFamilies[what].help, kFamilies[what].type);
      WriteStats(out, caches.credentials, what);
      WriteStats(out, caches.meetings, what);
      WriteStats(out, caches.nodes, what);
    }
    if (listener == nullptr) return;
    out.Family("mgw_cache_listen_up",
               "1 while the LISTEN mgw_cache connection is up; 0: the caches are bypassed.",
               metrics::MetricType::kGauge);
    out.Sample("mgw_cache_listen_up", listener->up() ? 1 : 0);
    out.Family("mgw_cache_notifications_total", "NOTIFY mgw_cache messages received.",
               metrics::MetricType::kCounter);
    out.Sample("mgw_cache_notifications_total", static_cast<double>(listener->notifications()));
    out.Family("mgw_cache_listen_losses_total", "Times the LISTEN mgw_cache connection was lost.",
               metrics::MetricType::kCounter);
    out.Sample("mgw_cache_listen_losses_total", static_cast<double>(listener->losses()));
  });
}

}  // namespace mgw::service
