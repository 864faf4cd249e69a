#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "mgw/storage/database.h"

namespace mgw::storage {

struct SqliteOptions {
  std::string path;  // a file; ":memory:" works but forces a single connection
  std::size_t pool_size = 4;
  std::chrono::milliseconds busy_timeout{5000};     // how long a writer waits for the lock
  std::chrono::milliseconds acquire_timeout{5000};  // how long Acquire() waits for a connection
};

// SQLite in WAL mode (readers do not block the writer), foreign keys on, synchronous=NORMAL.
// Thread-safe: each connection in the pool is used by one thread at a time; several processes may
// open the same file. Transactions take the write lock at BEGIN (BEGIN IMMEDIATE).
class SqliteDatabase final : public Database {
 public:
  // Opens (creating if needed) the file and checks it with one connection. Throws
  // StorageError(kUnavailable) when the file cannot be opened.
  static std::unique_ptr<SqliteDatabase> Open(SqliteOptions options);
  ~SqliteDatabase() override;

  Dialect dialect() const override { return Dialect::kSqlite; }
  ConnectionLease Acquire() override;
  const SqliteOptions& options() const { return options_; }

 private:
  SqliteDatabase(SqliteOptions options, std::unique_ptr<ConnectionPool> pool);

  SqliteOptions options_;
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace mgw::storage
