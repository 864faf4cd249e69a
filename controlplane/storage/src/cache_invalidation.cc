#include "mgw/storage/cache_invalidation.h"

#include <algorithm>

#include "mgw/storage/database.h"
#include "mgw/storage/transaction.h"

namespace mgw::storage {
namespace {

// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
constexpr std::size_t kMaxPayload = 7900;

void Dispatch(const std::vector<CacheSubscriber*>& subscribers, std::string_view key,
              EvictionCause cause) {
  const std::size_t colon = key.find(':');
  const std::string_view kind = key.substr(0, colon);
  const std::string_view id = colon == std::string_view::npos ? "" : key.substr(colon + 1);
  for (CacheSubscriber* subscriber : subscribers) subscriber->OnChanged(kind, id, cause);
}

}  // namespace

std::string_view ToString(EvictionCause cause) {
  switch (cause) {
    case EvictionCause::kLocalWrite:
      return "local_write";
    case EvictionCause::kNotification:
      return "notification";
    case EvictionCause::kMaxAge:
      return "max_age";
    case EvictionCause::kCapacity:
      return "capacity";
    case EvictionCause::kFlush:
      return "flush";
  }
  return "flush";
}

std::string CacheKey(std::string_view kind, std::string_view id) {
  std::string key;
  key.reserve(kind.size() + 1 + id.size());
  key.append(kind).append(":").append(id);
  return key;
}

std::string CacheNotificationPayload(std::span<const std::string> keys) {
  std::string payload;
  for (const std::string& key : keys) {
    if (key.find('\n') != std::string::npos) return "*";
    if (!payload.empty()) payload += '\n';
    payload += key;
    if (payload.size() > kMaxPayload) return "*";
  }
  return payload;
}

void CacheInvalidationBus::Subscribe(CacheSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscriber);
  if (bypass_) subscriber->SetBypass(true);
}

void CacheInvalidationBus::Unsubscribe(CacheSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  std::erase(subscribers_, subscriber);
}

// The bus's mutex is held while the caches evict, so a cache cannot be destroyed (it
// unsubscribes first) while it is being told.
void CacheInvalidationBus::Publish(std::span<const std::string> keys, EvictionCause cause) {
  std::lock_guard lock(mutex_);
  if (subscribers_.empty()) return;
  for (const std::string& key : keys) Dispatch(subscribers_, key, cause);
}

void CacheInvalidationBus::PublishPayload(std::string_view payload, EvictionCause cause) {
  std::lock_guard lock(mutex_);
  if (subscribers_.empty()) return;
  while (!payload.empty()) {
    const std::size_t end = payload.find('\n');
    Dispatch(subscribers_, payload.substr(0, end), cause);
    if (end == std::string_view::npos) break;
    payload.remove_prefix(end + 1);
  }
}

void CacheInvalidationBus::SetBypass(bool bypass) {
  std::lock_guard lock(mutex_);
  bypass_ = bypass;
  for (CacheSubscriber* subscriber : subscribers_) subscriber->SetBypass(bypass);
}

bool CacheInvalidationBus::bypassing() const {
  std::lock_guard lock(mutex_);
  return bypass_;
}

void MarkChanged(SqlExecutor& executor, std::string key) {
  if (auto* tx = dynamic_cast<Transaction*>(&executor)) {
    tx->MarkChanged(std::move(key));
    return;
  }
  // Auto-committed: the change is already visible. Tell the others, then this process.
  if (executor.dialect() == Dialect::kPostgres) {
    executor.Query("SELECT pg_notify('mgw_cache', ?)", {Value(key)});
  }
  if (auto* db = dynamic_cast<Database*>(&executor)) {
    const std::string keys[] = {std::move(key)};
    db->invalidation().Publish(keys, EvictionCause::kLocalWrite);
  }
}

}  // namespace mgw::storage
