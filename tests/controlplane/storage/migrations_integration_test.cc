// Schema migrations against both backends: fresh, re-run, concurrent start-up, failures.

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <thread>
#include <vector>

#include "mgw/storage/migrations.h"
#include "mgw/storage/storage_error.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

class MigrationsTest : public StorageBackendTest {
 protected:
  std::vector<Migration> Embedded() {
    return SelectMigrations(EmbeddedMigrationFiles(), db().dialect());
  }

  // The embedded migrations plus `extra` synthetic ones after them.
  std::vector<Migration> EmbeddedPlus(int extra) {
    std::vector<Migration> migrations = Embedded();
    const std::int64_t last = migrations.back().version;
    for (int i = 1; i <= extra; ++i) {
      const std::int64_t version = last + i;
      migrations.push_back({version, "extra" + std::to_string(i),
                            "CREATE TABLE extra_" + std::to_string(version) +
                                " (id BIGINT PRIMARY KEY); INSERT INTO extra_" +
                                std::to_string(version) + " (id) VALUES (1);"});
    }
    return migrations;
  }

  std::int64_t RecordedCount() {
    return db().QueryOne("SELECT COUNT(*) FROM schema_migrations")->GetInt64(0);
  }
};

TEST_P(MigrationsTest, FreshDatabaseGetsTheWholeSchema) {
  const std::vector<Migration> migrations = Embedded();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations.front().version, 1);
  EXPECT_EQ(migrations.front().name, "initial");

  const MigrationReport report = MigrateToLatest(db(), clock_);
  ASSERT_EQ(report.applied.size(), migrations.size());
  EXPECT_TRUE(report.already_applied.empty());
  EXPECT_TRUE(report.unknown.empty());
  EXPECT_EQ(report.current_version, migrations.back().version);

  std::optional<Row> first = db().QueryOne(
      "SELECT version, name, applied_at FROM schema_migrations WHERE version = ?", {1});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->GetString(1), "initial");
  EXPECT_EQ(first->GetInt64(2), ToUnixMillis(clock_.Now()));

  for (const char* table : {"accounts", "access_tokens", "api_keys", "dataplane_nodes", "meetings",
                            "meeting_participants", "recording_recipients", "idempotency_keys",
                            "jobs", "conferences", "conference_aliases"}) {
    EXPECT_EQ(db().QueryOne(std::string("SELECT COUNT(*) FROM ") + table)->GetInt64(0), 0) << table;
  }
}

TEST_P(MigrationsTest, RerunIsANoOp) {
  MigrateToLatest(db(), clock_);
  clock_.Advance(std::chrono::hours(1));
  const MigrationReport again = MigrateToLatest(db(), clock_);
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.already_applied.size(), Embedded().size());
  EXPECT_EQ(RecordedCount(), static_cast<std::int64_t>(Embedded().size()));
  // applied_at is not rewritten.
  EXPECT_EQ(db().QueryOne("SELECT MAX(applied_at) FROM schema_migrations")->GetInt64(0),
            ToUnixMillis(clock_.Now() - std::chrono::hours(1)));
}

TEST_P(MigrationsTest, LaterMigrationsApplyOnTopOfEarlierOnes) {
  MigrateToLatest(db(), clock_);
  const MigrationReport report = Migrate(db(), EmbeddedPlus(2), clock_);
  ASSERT_EQ(report.applied.size(), 2u);
  EXPECT_EQ(report.current_version, report.applied.back());
  EXPECT_EQ(
      db().QueryOne("SELECT id FROM extra_" + std::to_string(report.applied.back()))->GetInt64(0),
      1);
}

TEST_P(MigrationsTest, ConcurrentMigratorsApplyEachVersionOnce) {
  constexpr int kMigrators = 3;
  const std::vector<Migration> migrations = EmbeddedPlus(4);
  std::vector<std::unique_ptr<Database>> handles;
  for (int i = 0; i < kMigrators; ++i) handles.push_back(OpenAnother());
  std::vector<MigrationReport> reports(kMigrators);
  std::vector<std::string> errors(kMigrators);
  std::latch start(kMigrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        reports[i] = Migrate(*handles[i], migrations, clock_);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<std::int64_t> applied;
  for (int i = 0; i < kMigrators; ++i) {
    EXPECT_EQ(errors[i], "") << "migrator " << i;
    EXPECT_EQ(reports[i].current_version, migrations.back().version);
    EXPECT_EQ(reports[i].applied.size() + reports[i].already_applied.size(), migrations.size());
    applied.insert(applied.end(), reports[i].applied.begin(), reports[i].applied.end());
  }
  std::sort(applied.begin(), applied.end());
  std::vector<std::int64_t> expected;
  for (const Migration& migration : migrations) expected.push_back(migration.version);
  EXPECT_EQ(applied, expected);  // every version applied, by exactly one migrator
  EXPECT_EQ(RecordedCount(), static_cast<std::int64_t>(migrations.size()));
}

TEST_P(MigrationsTest, FailedMigrationLeavesThePreviousVersion) {
  std::vector<Migration> migrations = Embedded();
  const std::int64_t broken_version = migrations.back().version + 1;
  migrations.push_back(
      {broken_version, "broken",
       "CREATE TABLE half_done (id BIGINT); INSERT INTO no_such_table VALUES (1);"});
  EXPECT_THROW(Migrate(db(), migrations, clock_), StorageError);
  EXPECT_EQ(RecordedCount(), static_cast<std::int64_t>(migrations.size() - 1));
  EXPECT_FALSE(
      db().QueryOne("SELECT version FROM schema_migrations WHERE version = ?", {broken_version}));
  EXPECT_THROW(db().Query("SELECT COUNT(*) FROM half_done"), StorageError);
  // Fixed and run again, it applies.
  migrations.back().sql = "CREATE TABLE half_done (id BIGINT);";
  EXPECT_EQ(Migrate(db(), migrations, clock_).applied, std::vector<std::int64_t>{broken_version});
}

TEST_P(MigrationsTest, RenumberedMigrationIsRefused) {
  MigrateToLatest(db(), clock_);
  std::vector<Migration> migrations = Embedded();
  migrations.front().name = "something_else";
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(Migrate(db(), migrations, clock_)), StorageErrorKind::kInternal);
}

TEST_P(MigrationsTest, VersionsFromANewerBinaryAreReported) {
  Migrate(db(), EmbeddedPlus(1), clock_);
  const MigrationReport report = MigrateToLatest(db(), clock_);
  ASSERT_EQ(report.unknown.size(), 1u);
  EXPECT_EQ(report.unknown.front(), report.current_version);
}

MGW_INSTANTIATE_FOR_BACKENDS(MigrationsTest);

}  // namespace
}  // namespace mgw::storage::testing
