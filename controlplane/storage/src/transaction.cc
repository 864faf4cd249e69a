#include "mgw/storage/transaction.h"

namespace mgw::storage {

Transaction::Transaction(Database& db) : lease_(db.Acquire()), connection_(lease_.get()) {
  connection_->Begin();
}

Transaction::Transaction(Connection& connection) : connection_(&connection) {
  connection_->Begin();
}

Transaction::Transaction(Transaction&& other) noexcept
    : lease_(std::move(other.lease_)), connection_(other.connection_), finished_(other.finished_) {
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
  Live().Commit();
  finished_ = true;
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
