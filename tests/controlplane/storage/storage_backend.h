#pragma once

// Runs a test suite once per storage backend:
//
//   class FooTest : public StorageBackendTest {};
//   TEST_P(FooTest, Bar) { ApplyMigrations(); ... db() ... }
//   MGW_INSTANTIATE_FOR_BACKENDS(FooTest);
//
// Each test gets an empty database of its own: a fresh SQLite file in a temporary directory, or a
// fresh database on the binary's shared PostgreSQL server (postgres_server.h). The PostgreSQL
// instance is skipped when the server binaries are missing.

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/storage_error.h"

namespace mgw::storage::testing {

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info);
void PrintTo(Backend backend, std::ostream* out);  // "Sqlite" / "Postgres" in failure messages

class StorageBackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  bool is_postgres() const { return GetParam() == Backend::kPostgres; }
  Database& db() { return *db_; }
  // Another, independent handle on the same database, as a second process would have.
  std::unique_ptr<Database> OpenAnother() const;
  // The same, with its own pool size and acquire timeout.
  std::unique_ptr<Database> OpenAnother(std::size_t pool_size,
                                        std::chrono::milliseconds acquire_timeout) const;
  // Applies the embedded migrations (MigrateToLatest).
  void ApplyMigrations();

  // 2030-03-17T17:46:40Z; whole milliseconds so round trips through the database are exact.
  ManualClock clock_{FromUnixMillis(1'900'000'000'000)};

 private:
  std::string url_;
  std::filesystem::path temp_dir_;
  std::unique_ptr<Database> db_;
};

// The kind of the StorageError that `statement` throws; fails the test when it throws none.
#define MGW_STORAGE_ERROR_KIND(statement)                         \
  ([&]() -> ::mgw::storage::StorageErrorKind {                    \
    try {                                                         \
      statement;                                                  \
    } catch (const ::mgw::storage::StorageError& e) {             \
      return e.kind();                                            \
    }                                                             \
    ADD_FAILURE() << "expected a StorageError from: " #statement; \
    return ::mgw::storage::StorageErrorKind::kInternal;           \
  }())

}  // namespace mgw::storage::testing

#define MGW_INSTANTIATE_FOR_BACKENDS(suite)                                                \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                \
                           ::testing::Values(::mgw::storage::testing::Backend::kSqlite,    \
                                             ::mgw::storage::testing::Backend::kPostgres), \
                           ::mgw::storage::testing::BackendName)
