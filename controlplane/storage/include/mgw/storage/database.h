#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "mgw/storage/cache_invalidation.h"
#include "mgw/storage/placeholders.h"
#include "mgw/storage/row.h"
#include "mgw/storage/value.h"

namespace mgw::storage {

// Runs SQL. `sql` is one statement with positional placeholders (`?` or `$N`, see
// placeholders.h), prepared once per connection and cached. All calls throw StorageError.
class SqlExecutor {
 public:
  virtual ~SqlExecutor() = default;

  virtual Dialect dialect() const = 0;
  // Runs a statement and returns the number of rows it inserted, updated or deleted.
  virtual std::int64_t Execute(std::string_view sql, const Params& params = {}) = 0;
  // Runs a statement (SELECT, or DML with RETURNING) and returns every row it produced.
  virtual std::vector<Row> Query(std::string_view sql, const Params& params = {}) = 0;
  // Runs several `;`-separated statements without parameters or caching (migrations, DDL).
  virtual void ExecuteScript(std::string_view sql) = 0;

  // The first row, or nothing when the statement produced none.
  std::optional<Row> QueryOne(std::string_view sql, const Params& params = {});
};

// One session with the database. Used by one thread at a time: whoever holds the lease.
class Connection : public SqlExecutor {
 public:
  // Starts a transaction: `BEGIN IMMEDIATE` on SQLite (takes the write lock up front, so two
  // writers never deadlock upgrading), `BEGIN` (READ COMMITTED) on PostgreSQL.
  virtual void Begin() = 0;
  // Ends the transaction. Commit() throws (and the transaction is over, or still open for a
  // Rollback()) when the database refuses it, including when PostgreSQL would silently turn it
  // into a rollback because an earlier statement failed.
  virtual void Commit() = 0;
  virtual void Rollback() = 0;
  // False once the session is unusable (lost connection) or left mid-transaction; the pool then
  // drops it instead of handing it out again.
  virtual bool ReusableAfterRelease() const = 0;
  // Called before an idle pooled connection is handed out; false makes the pool open a new one.
  // PostgreSQL notices here that the server closed the socket while the connection sat idle.
  virtual bool AliveForReuse() = 0;
};

class ConnectionPool;

// A connection borrowed from a Database's pool; returned when the lease is destroyed. A lease
// must not outlive the Database it came from.
class ConnectionLease {
 public:
  ConnectionLease() = default;
  ConnectionLease(ConnectionPool* pool, std::unique_ptr<Connection> connection);
  ConnectionLease(ConnectionLease&& other) noexcept;
  ConnectionLease& operator=(ConnectionLease&& other) noexcept;
  ~ConnectionLease();

  explicit operator bool() const { return connection_ != nullptr; }
  Connection& operator*() const { return *connection_; }
  Connection* operator->() const { return connection_.get(); }
  Connection* get() const { return connection_.get(); }

 private:
  void Release();

  ConnectionPool* pool_ = nullptr;
  std::unique_ptr<Connection> connection_;
};

// A database: a pool of connections. Thread-safe. Execute/Query/ExecuteScript on the Database
// borrow a connection for one auto-committed statement; use Transaction (transaction.h) to run
// several statements atomically, and run them through the Transaction, not the Database.
class Database : public SqlExecutor {
 public:
  // Borrows a connection, waiting up to the configured acquire timeout when all are in use
  // (then StorageError(kUnavailable)). Broken connections are replaced transparently.
  virtual ConnectionLease Acquire() = 0;

  std::int64_t Execute(std::string_view sql, const Params& params = {}) override;
  std::vector<Row> Query(std::string_view sql, const Params& params = {}) override;
  void ExecuteScript(std::string_view sql) override;

  // Where this process's writes (Transaction::MarkChanged) and, in PostgreSQL mode, the other
  // control planes' notifications (CacheListener) reach the read caches over this database.
  CacheInvalidationBus& invalidation() { return invalidation_; }

 private:
  CacheInvalidationBus invalidation_;
};

// Opens a database from a URL:
//   postgresql://... or postgres://...   libpq connection URI (PostgresDatabase)
//   sqlite:///abs/path.db, sqlite:rel.db, or a bare file path   (SqliteDatabase)
// with default options. Throws StorageError(kUnavailable) when it cannot connect or open, and
// kInvalidArgument for an unknown scheme.
std::unique_ptr<Database> OpenDatabase(std::string_view url);

}  // namespace mgw::storage
