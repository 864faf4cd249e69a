#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mgw/storage/database.h"
#include "mgw/storage/storage_error.h"

namespace mgw::storage {

// RAII transaction: begins in the constructor and rolls back in the destructor unless Commit()
// succeeded, so an exception between the two leaves the database untouched. Not thread-safe; use
// it from the thread that created it. After Commit() or Rollback() every call throws
// StorageError(kInvalidArgument). On PostgreSQL a failed statement aborts the transaction: every
// later statement fails until it is rolled back.
class Transaction final : public SqlExecutor {
 public:
  // Borrows a connection from `db` for the transaction's lifetime.
  explicit Transaction(Database& db);
  // Runs on a connection the caller already holds (e.g. one holding a session-level lock).
  explicit Transaction(Connection& connection);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() override;

  // Commits. When MarkChanged() named keys: on PostgreSQL one NOTIFY mgw_cache with them runs
  // first (delivered to every control plane at commit, never on rollback), and after the commit
  // this process's read caches drop them (Database::invalidation()).
  void Commit();
  void Rollback();
  bool active() const { return connection_ != nullptr && !finished_; }

  // This transaction changes what a read cache may hold under `key` (cache_invalidation.h).
  void MarkChanged(std::string key);

  Dialect dialect() const override;
  std::int64_t Execute(std::string_view sql, const Params& params = {}) override;
  std::vector<Row> Query(std::string_view sql, const Params& params = {}) override;
  void ExecuteScript(std::string_view sql) override;

 private:
  Connection& Live();

  ConnectionLease lease_;  // empty when running on a borrowed connection
  Connection* connection_ = nullptr;
  Database* database_ = nullptr;  // whose caches to tell after commit; none when borrowed
  std::vector<std::string> changed_;
  bool finished_ = false;
};

// Runs fn(Transaction&) in a transaction and commits; retries the whole function when the
// database reports StorageErrorKind::kConflict (serialization failure, deadlock, busy), up to
// `max_attempts` times. fn must therefore only have database side effects.
template <typename Fn>
auto InTransaction(Database& db, Fn&& fn, int max_attempts = 3)
    -> std::invoke_result_t<Fn&, Transaction&> {
  for (int attempt = 1;; ++attempt) {
    try {
      Transaction tx(db);
      if constexpr (std::is_void_v<std::invoke_result_t<Fn&, Transaction&>>) {
        fn(tx);
        tx.Commit();
        return;
      } else {
        auto result = fn(tx);
        tx.Commit();
        return result;
      }
    } catch (const StorageError& e) {
      if (e.kind() != StorageErrorKind::kConflict || attempt >= max_attempts) throw;
    }
  }
}

}  // namespace mgw::storage
