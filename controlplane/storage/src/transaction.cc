#include "mgw/storage/transaction.h"

#include <algorithm>

#include "mgw/storage/cache_invalidation.h"

namespace mgw::storage {

Transaction::Transaction(Database& db)
    : lease_(db.Acquire()), connection_(lease_.get()), database_(&db) {
  connection_->Begin();
}

Transaction::Transaction(Connection& connection) : connection_(&connection) {
  connection_->Begin();
}

Transaction::Transaction(Transaction&& other) noexcept
    : lease_(std::move(other.lease_)),
      connection_(other.connection_),
      database_(other.database_),
      changed_(std::move(other.changed_)),
      finished_(other.finished_) {
  other.connection_ = nullptr;
}

Transaction::~Transaction() {
  if (!active()) return;
  try {
    Rollback();
  } catch (...) {
    // The connection reports itself not reusable when the rollback did not end the transaction,
    // and the pool then drops it; nothing else can be done in a destructor.
  }
}

Connection& Transaction::Live() {
  if (!active()) {
    throw StorageError(StorageErrorKind::kInvalidArgument,
                       "transaction used after Commit() or Rollback()");
  }
  return *connection_;
}

void Transaction::Commit() {
  Connection& connection = Live();
  if (!changed_.empty() && connection.dialect() == Dialect::kPostgres) {
    connection.Query("SELECT pg_notify('mgw_cache', ?)", {CacheNotificationPayload(changed_)});
  }
  connection.Commit();
  finished_ = true;
  // After the commit, never before: a reader between an eviction and the commit would read the
  // old row and cache it with a generation taken after the eviction.
  if (database_ != nullptr && !changed_.empty()) {
    database_->invalidation().Publish(changed_, EvictionCause::kLocalWrite);
  }
}

void Transaction::MarkChanged(std::string key) {
  Live();
  if (std::find(changed_.begin(), changed_.end(), key) == changed_.end()) {
    changed_.push_back(std::move(key));
  }
}

void Transaction::Rollback() {
  Connection& connection = Live();
  finished_ = true;
  connection.Rollback();
}

Dialect Transaction::dialect() const { return connection_->dialect(); }

std::int64_t Transaction::Execute(std::string_view sql, const Params& params) {
  return Live().Execute(sql, params);
}

std::vector<Row> Transaction::Query(std::string_view sql, const Params& params) {
  return Live().Query(sql, params);
}

void Transaction::ExecuteScript(std::string_view sql) { Live().ExecuteScript(sql); }

}  // namespace mgw::storage
