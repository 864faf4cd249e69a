#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "mgw/storage/database.h"

namespace mgw::storage {

struct PostgresOptions {
  std::string uri;  // libpq connection URI or key=value string, e.g. postgresql://u@host/db
  std::size_t pool_size = 4;
  std::chrono::milliseconds acquire_timeout{5000};  // how long Acquire() waits for a connection
};

// PostgreSQL through libpq with a small connection pool. Thread-safe. A connection that the
// server closed while it sat idle in the pool is noticed before it is handed out and replaced
// (so a server restart costs no failed request); one that breaks during a statement fails that
// statement with StorageError(kUnavailable) and is replaced on the next Acquire().
// Statements are prepared once per connection (parameter types inferred by the server, so write
// CAST(? AS BIGINT) where the context does not fix a type).
class PostgresDatabase final : public Database {
 public:
  // Connects once to check the URI. Throws StorageError(kUnavailable) when it cannot connect.
  static std::unique_ptr<PostgresDatabase> Open(PostgresOptions options);
  ~PostgresDatabase() override;

  Dialect dialect() const override { return Dialect::kPostgres; }
  ConnectionLease Acquire() override;
  const PostgresOptions& options() const { return options_; }

 private:
  PostgresDatabase(PostgresOptions options, std::unique_ptr<ConnectionPool> pool);

  PostgresOptions options_;
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace mgw::storage
