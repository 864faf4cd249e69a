// The Database interface, its transactions, errors and threading, against both backends.

#include <gtest/gtest.h>

#include <latch>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mgw/storage/database.h"
#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

class DatabaseTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    if (IsSkipped()) return;
    db().ExecuteScript(
        "CREATE TABLE parents (id BIGINT PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
        "  score DOUBLE PRECISION, note TEXT, n BIGINT CHECK (n > 0));"
        "CREATE TABLE children (id BIGINT PRIMARY KEY,"
        "  parent_id BIGINT NOT NULL REFERENCES parents (id));"
        "CREATE TABLE counter (n BIGINT NOT NULL);"
        "INSERT INTO counter (n) VALUES (0);");
  }

  std::int64_t CountParents(SqlExecutor& executor) {
    return executor.QueryOne("SELECT COUNT(*) FROM parents")->GetInt64(0);
  }
};

TEST_P(DatabaseTest, RoundTripsEveryValueType) {
  EXPECT_EQ(db().Execute("INSERT INTO parents (id, email, score, note, n) VALUES (?, ?, ?, ?, ?)",
                         {1, "a@example.com", 2.5, nullptr, 7}),
            1);
  std::optional<Row> row =
      db().QueryOne("SELECT id, email, score, note, n FROM parents WHERE id = ?", {1});
  ASSERT_TRUE(row);
  EXPECT_EQ(row->at(0), Value(1));
  EXPECT_EQ(row->at(1), Value("a@example.com"));
  EXPECT_EQ(row->at(2), Value(2.5));
  EXPECT_TRUE(row->IsNull(3));
  EXPECT_EQ(row->GetInt64(4), 7);
  EXPECT_EQ(row->column_name(1), "email");
  EXPECT_FALSE(db().QueryOne("SELECT id FROM parents WHERE id = ?", {2}));
}

TEST_P(DatabaseTest, ExecuteReportsChangedRows) {
  for (int id = 1; id <= 3; ++id) {
    db().Execute("INSERT INTO parents (id, email) VALUES (?, ?)",
                 {id, "p" + std::to_string(id) + "@example.com"});
  }
  EXPECT_EQ(db().Execute("UPDATE parents SET note = ? WHERE id >= ?", {"x", 2}), 2);
  EXPECT_EQ(db().Execute("DELETE FROM parents WHERE id = ?", {42}), 0);
  EXPECT_EQ(db().Execute("SELECT id FROM parents"), 0);
}

TEST_P(DatabaseTest, OneSqlTextServesBothPlaceholderStyles) {
  db().Execute("INSERT INTO parents (id, email) VALUES ($1, $2)", {1, "one@example.com"});
  db().Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {2, "two@example.com"});
  // $N may repeat and come in any order.
  std::vector<Row> rows =
      db().Query("SELECT id FROM parents WHERE email = $2 OR id = $1 OR id = $1 ORDER BY id",
                 {1, "two@example.com"});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].GetInt64(0), 2);
  // A question mark inside a literal is not a placeholder.
  EXPECT_EQ(db().QueryOne("SELECT '?' || email FROM parents WHERE id = ?", {1})->GetString(0),
            "?one@example.com");
}

TEST_P(DatabaseTest, WrongParameterCountIsInvalidArgument) {
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(db().Query("SELECT id FROM parents WHERE id = ?", {})),
            StorageErrorKind::kInvalidArgument);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(db().Query("SELECT id FROM parents WHERE id = ?", {1, 2})),
            StorageErrorKind::kInvalidArgument);
}

TEST_P(DatabaseTest, ConstraintViolationsAreTyped) {
  db().Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {1, "a@example.com"});
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(db().Execute("INSERT INTO parents (id, email) VALUES (?, ?)",
                                                {2, "a@example.com"})),
            StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(db().Execute("INSERT INTO parents (id, email) VALUES (?, ?)",
                                                {1, "b@example.com"})),
            StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(db().Execute(
                "INSERT INTO parents (id, email, n) VALUES (?, ?, ?)", {3, "c@example.com", 0})),
            StorageErrorKind::kConstraintViolation);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(
                db().Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {4, nullptr})),
            StorageErrorKind::kConstraintViolation);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(
                db().Execute("INSERT INTO children (id, parent_id) VALUES (?, ?)", {1, 99})),
            StorageErrorKind::kConstraintViolation);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(db().Query("SELECT nope FROM parents")),
            StorageErrorKind::kInternal);
}

TEST_P(DatabaseTest, CommittedTransactionIsVisible) {
  {
    Transaction tx(db());
    tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {1, "a@example.com"});
    tx.Execute("INSERT INTO children (id, parent_id) VALUES (?, ?)", {1, 1});
    tx.Commit();
    EXPECT_FALSE(tx.active());
    EXPECT_EQ(MGW_STORAGE_ERROR_KIND(tx.Query("SELECT 1")), StorageErrorKind::kInvalidArgument);
  }
  EXPECT_EQ(CountParents(db()), 1);
}

TEST_P(DatabaseTest, TransactionRollsBackWhenAnExceptionLeavesTheScope) {
  EXPECT_THROW(
      {
        Transaction tx(db());
        tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {1, "a@example.com"});
        EXPECT_EQ(CountParents(tx), 1);  // visible inside
        throw std::runtime_error("handler failed");
      },
      std::runtime_error);
  EXPECT_EQ(CountParents(db()), 0);
}

TEST_P(DatabaseTest, TransactionRollsBackWhenAStatementFails) {
  db().Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {1, "taken@example.com"});
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND({
              Transaction tx(db());
              tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {2, "b@example.com"});
              tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {3, "taken@example.com"});
              tx.Commit();
            }),
            StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(CountParents(db()), 1);
}

TEST_P(DatabaseTest, ExplicitRollbackDiscardsChanges) {
  Transaction tx(db());
  tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {1, "a@example.com"});
  tx.Rollback();
  EXPECT_EQ(CountParents(db()), 0);
}

// The dialects differ after a failed statement inside a transaction: PostgreSQL aborts the whole
// transaction (and refuses the COMMIT); SQLite undoes only the failed statement.
TEST_P(DatabaseTest, CommitAfterAFailedStatementFollowsTheDialect) {
  db().Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {1, "taken@example.com"});
  Transaction tx(db());
  tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {2, "b@example.com"});
  EXPECT_THROW(
      tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {3, "taken@example.com"}),
      StorageError);
  if (is_postgres()) {
    EXPECT_EQ(MGW_STORAGE_ERROR_KIND(tx.Commit()), StorageErrorKind::kInvalidArgument);
    EXPECT_EQ(CountParents(db()), 1);
  } else {
    tx.Commit();
    EXPECT_EQ(CountParents(db()), 2);
  }
}

TEST_P(DatabaseTest, InTransactionRetriesConflictsOnly) {
  int calls = 0;
  const int result = InTransaction(db(), [&](Transaction& tx) {
    ++calls;
    tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {calls, "a@example.com"});
    if (calls == 1) throw StorageError(StorageErrorKind::kConflict, "simulated serialization");
    return 7;
  });
  EXPECT_EQ(result, 7);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(db().QueryOne("SELECT id FROM parents")->GetInt64(0), 2);  // attempt 1 rolled back

  calls = 0;
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(InTransaction(db(),
                                                 [&](Transaction&) {
                                                   ++calls;
                                                   throw StorageError(StorageErrorKind::kNotFound,
                                                                      "gone");
                                                 })),
            StorageErrorKind::kNotFound);
  EXPECT_EQ(calls, 1);
}

TEST_P(DatabaseTest, ManyThreadsShareOneDatabase) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        const int id = t * kPerThread + i + 1;
        InTransaction(db(), [&](Transaction& tx) {
          tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)",
                     {id, "p" + std::to_string(id) + "@example.com"});
          tx.Execute("UPDATE counter SET n = n + 1");
        });
        db().QueryOne("SELECT COUNT(*) FROM parents");  // readers interleave with writers
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(CountParents(db()), kThreads * kPerThread);
  EXPECT_EQ(db().QueryOne("SELECT n FROM counter")->GetInt64(0), kThreads * kPerThread);
}

TEST_P(DatabaseTest, ExhaustedPoolIsUnavailable) {
  std::unique_ptr<Database> small = OpenAnother(1, std::chrono::milliseconds(20));
  ConnectionLease held = small->Acquire();
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(small->Acquire()), StorageErrorKind::kUnavailable);
  held = ConnectionLease();
  EXPECT_EQ(small->QueryOne("SELECT 1")->GetInt64(0), 1);
}

TEST_P(DatabaseTest, SqliteRunsInWalModeWithForeignKeys) {
  if (is_postgres()) GTEST_SKIP() << "SQLite pragmas";
  EXPECT_EQ(db().QueryOne("PRAGMA journal_mode")->GetString(0), "wal");
  EXPECT_EQ(db().QueryOne("PRAGMA foreign_keys")->GetInt64(0), 1);
}

TEST_P(DatabaseTest, PostgresReplacesConnectionsTheServerClosedWhileIdle) {
  if (!is_postgres()) GTEST_SKIP() << "PostgreSQL connections";
  db().QueryOne("SELECT 1");  // leaves an idle connection in the pool
  std::unique_ptr<Database> admin = OpenAnother();
  // The two-argument form waits until each backend has exited.
  EXPECT_GE(admin
                ->QueryOne("WITH others AS MATERIALIZED (SELECT pid FROM pg_stat_activity "
                           "  WHERE datname = current_database() AND pid <> pg_backend_pid()) "
                           "SELECT COUNT(*) FROM others WHERE pg_terminate_backend(pid, 10000)")
                ->GetInt64(0),
            1);
  EXPECT_EQ(db().QueryOne("SELECT 1")->GetInt64(0), 1);
}

TEST_P(DatabaseTest, PostgresConnectionLostMidTransactionIsUnavailableThenRecovers) {
  if (!is_postgres()) GTEST_SKIP() << "PostgreSQL connections";
  std::unique_ptr<Database> admin = OpenAnother();
  {
    Transaction tx(db());
    tx.Execute("INSERT INTO parents (id, email) VALUES (?, ?)", {1, "a@example.com"});
    const std::int64_t pid = tx.QueryOne("SELECT pg_backend_pid()")->GetInt64(0);
    EXPECT_TRUE(admin->QueryOne("SELECT pg_terminate_backend(?, 10000)", {pid})->GetBool(0));
    EXPECT_EQ(MGW_STORAGE_ERROR_KIND(tx.Execute("SELECT 1")), StorageErrorKind::kUnavailable);
  }
  EXPECT_EQ(CountParents(db()), 0);
}

TEST(OpenDatabaseTest, RejectsUnknownSchemesAndUnreachableServers) {
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(OpenDatabase("mysql://localhost/db")),
            StorageErrorKind::kInvalidArgument);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(OpenDatabase("sqlite:")), StorageErrorKind::kInvalidArgument);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(
                OpenDatabase("postgresql:///db?host=%2Fnonexistent-mgw-socket-dir&port=5432")),
            StorageErrorKind::kUnavailable);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(OpenDatabase("sqlite:///nonexistent-mgw-dir/sub/x.db")),
            StorageErrorKind::kUnavailable);
}

MGW_INSTANTIATE_FOR_BACKENDS(DatabaseTest);

}  // namespace
}  // namespace mgw::storage::testing
