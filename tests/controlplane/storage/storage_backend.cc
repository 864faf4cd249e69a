#include "storage_backend.h"

#include <stdlib.h>

#include "controlplane/storage/postgres_server.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/postgres_database.h"
#include "mgw/storage/sqlite_database.h"

namespace mgw::storage::testing {

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::kSqlite ? "Sqlite" : "Postgres");
}

void StorageBackendTest::SetUp() {
  if (is_postgres()) {
    // The same suite must run on both backends: a missing server is a failure, not a skip
    // (deploy/install-deps.sh installs PostgreSQL).
    ASSERT_TRUE(mgw::testing::PostgresServer::Available())
        << "PostgreSQL server binaries not found (set MGW_POSTGRES_BIN_DIR)";
    url_ = mgw::testing::SharedPostgresServer().CreateDatabase();
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "mgw-sqlite-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    temp_dir_ = pattern;
    url_ = "sqlite:" + (temp_dir_ / "mgw.db").string();
  }
  db_ = OpenDatabase(url_);
}

void StorageBackendTest::TearDown() {
  db_.reset();
  if (!temp_dir_.empty()) std::filesystem::remove_all(temp_dir_);
}

std::unique_ptr<Database> StorageBackendTest::OpenAnother() const { return OpenDatabase(url_); }

std::unique_ptr<Database> StorageBackendTest::OpenAnother(
    std::size_t pool_size, std::chrono::milliseconds acquire_timeout) const {
  if (is_postgres()) {
    return PostgresDatabase::Open(
        {.uri = url_, .pool_size = pool_size, .acquire_timeout = acquire_timeout});
  }
  return SqliteDatabase::Open({.path = (temp_dir_ / "mgw.db").string(),
                               .pool_size = pool_size,
                               .acquire_timeout = acquire_timeout});
}

void StorageBackendTest::ApplyMigrations() { MigrateToLatest(*db_, clock_); }

}  // namespace mgw::storage::testing
