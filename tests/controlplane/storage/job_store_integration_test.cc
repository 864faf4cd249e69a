// JobStore against both backends: claim, complete, fail with backoff, dead letters, leases.

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include "mgw/storage/job_store.h"
#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class JobStoreTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    if (IsSkipped()) return;
    ApplyMigrations();
    jobs_.emplace(db(), clock_, Options());
  }

  // Jitter factor pinned to 1 (random_unit 0.5) so delays are exact.
  static JobStoreOptions Options() {
    return {.max_attempts = 3,
            .base_backoff = seconds(1),
            .max_backoff = seconds(60),
            .jitter = 0.2,
            .lease = seconds(30),
            .random_unit = [] { return 0.5; }};
  }

  Job ClaimOne() {
    std::vector<Job> claimed = jobs_->ClaimDue(1);
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.empty() ? Job{} : claimed.front();
  }

  std::optional<JobStore> jobs_;
};

TEST_P(JobStoreTest, EnqueueStoresAPendingJob) {
  const Job job = jobs_->Enqueue({.kind = "webhook.deliver", .payload = R"({"url":"x"})"});
  EXPECT_GT(job.id, 0);
  EXPECT_EQ(job.state, JobState::kPending);
  EXPECT_EQ(job.payload, R"({"url":"x"})");
  EXPECT_EQ(job.attempts, 0);
  EXPECT_EQ(job.max_attempts, 3);
  EXPECT_EQ(job.next_run_at, clock_.Now());
  EXPECT_EQ(job.created_at, clock_.Now());
  EXPECT_FALSE(job.last_error);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(jobs_->Enqueue({.kind = ""})),
            StorageErrorKind::kInvalidArgument);
}

TEST_P(JobStoreTest, ClaimsDueJobsOldestFirst) {
  const Job later = jobs_->Enqueue({.kind = "a", .run_at = clock_.Now() + seconds(10)});
  const Job second = jobs_->Enqueue({.kind = "b", .run_at = clock_.Now() - seconds(1)});
  const Job first = jobs_->Enqueue({.kind = "c", .run_at = clock_.Now() - seconds(2)});

  std::vector<Job> claimed = jobs_->ClaimDue(10);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].id, first.id);
  EXPECT_EQ(claimed[1].id, second.id);
  for (const Job& job : claimed) {
    EXPECT_EQ(job.state, JobState::kRunning);
    EXPECT_EQ(job.attempts, 1);
    EXPECT_EQ(job.lease_expires_at, clock_.Now() + seconds(30));
  }
  EXPECT_TRUE(jobs_->ClaimDue(10).empty());

  clock_.Advance(seconds(10));
  claimed = jobs_->ClaimDue(10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, later.id);
}

TEST_P(JobStoreTest, ClaimRespectsTheLimit) {
  for (int i = 0; i < 5; ++i) jobs_->Enqueue({.kind = "k"});
  EXPECT_EQ(jobs_->ClaimDue(2).size(), 2u);
  EXPECT_EQ(jobs_->ClaimDue(0).size(), 0u);
  EXPECT_EQ(jobs_->ClaimDue(10).size(), 3u);
}

TEST_P(JobStoreTest, CompleteMarksDone) {
  jobs_->Enqueue({.kind = "k"});
  const Job claimed = ClaimOne();
  jobs_->Complete(claimed);
  const std::optional<Job> done = jobs_->Find(claimed.id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, JobState::kDone);
  EXPECT_FALSE(done->lease_expires_at);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(jobs_->Complete(claimed)), StorageErrorKind::kConflict);
  Job missing = claimed;
  missing.id += 1000;
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(jobs_->Complete(missing)), StorageErrorKind::kNotFound);
}

TEST_P(JobStoreTest, FailuresBackOffExponentiallyThenDeadLetter) {
  const Job job = jobs_->Enqueue({.kind = "k"});

  Job failed = jobs_->Fail(ClaimOne(), "connection refused");
  EXPECT_EQ(failed.state, JobState::kPending);
  EXPECT_EQ(failed.attempts, 1);
  EXPECT_EQ(failed.last_error, "connection refused");
  EXPECT_EQ(failed.next_run_at, clock_.Now() + seconds(1));

  clock_.Advance(milliseconds(999));
  EXPECT_TRUE(jobs_->ClaimDue(1).empty());
  clock_.Advance(milliseconds(1));
  failed = jobs_->Fail(ClaimOne(), "timeout");
  EXPECT_EQ(failed.attempts, 2);
  EXPECT_EQ(failed.next_run_at, clock_.Now() + seconds(2));  // doubled

  clock_.Advance(seconds(2));
  failed = jobs_->Fail(ClaimOne(), "still down");
  EXPECT_EQ(failed.state, JobState::kDead);  // third of three attempts
  EXPECT_EQ(failed.last_error, "still down");

  clock_.Advance(seconds(3600));
  EXPECT_TRUE(jobs_->ClaimDue(10).empty());
  std::vector<Job> dead = jobs_->List({.state = JobState::kDead});
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, job.id);
}

TEST_P(JobStoreTest, PermanentFailureDeadLettersAtOnce) {
  jobs_->Enqueue({.kind = "k", .max_attempts = 10});
  const Job failed = jobs_->Fail(ClaimOne(), "HTTP 400", FailureKind::kPermanent);
  EXPECT_EQ(failed.state, JobState::kDead);
  EXPECT_EQ(failed.attempts, 1);
}

TEST_P(JobStoreTest, RetryRevivesADeadJob) {
  const Job job = jobs_->Enqueue({.kind = "k", .max_attempts = 1});
  jobs_->Fail(ClaimOne(), "boom");
  clock_.Advance(seconds(5));
  const Job retried = jobs_->Retry(job.id);
  EXPECT_EQ(retried.state, JobState::kPending);
  EXPECT_EQ(retried.attempts, 0);
  EXPECT_EQ(retried.next_run_at, clock_.Now());
  EXPECT_EQ(retried.last_error, "boom");  // kept for the operator
  const Job claimed = ClaimOne();
  EXPECT_EQ(claimed.id, job.id);
  EXPECT_EQ(claimed.attempts, 1);

  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(jobs_->Retry(job.id)), StorageErrorKind::kConflict);  // running
  jobs_->Complete(claimed);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(jobs_->Retry(job.id)), StorageErrorKind::kConflict);  // done
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(jobs_->Retry(job.id + 1000)), StorageErrorKind::kNotFound);
}

TEST_P(JobStoreTest, ExpiredLeaseIsClaimedAgainAndFencesTheOldClaim) {
  jobs_->Enqueue({.kind = "k"});
  const Job first = ClaimOne();
  clock_.Advance(seconds(29));
  EXPECT_TRUE(jobs_->ClaimDue(1).empty());  // lease still held
  clock_.Advance(seconds(1));
  const Job second = ClaimOne();  // the first worker is presumed dead
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(second.attempts, 2);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(jobs_->Complete(first)), StorageErrorKind::kConflict);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(jobs_->Fail(first, "late")), StorageErrorKind::kConflict);
  jobs_->Complete(second);
  EXPECT_EQ(jobs_->Find(first.id)->state, JobState::kDone);
}

TEST_P(JobStoreTest, ExpiredLeaseOnTheLastAttemptDeadLetters) {
  const Job job = jobs_->Enqueue({.kind = "k", .max_attempts = 1});
  ClaimOne();
  clock_.Advance(seconds(30));
  EXPECT_TRUE(jobs_->ClaimDue(10).empty());
  const std::optional<Job> dead = jobs_->Find(job.id);
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->state, JobState::kDead);
  EXPECT_TRUE(dead->last_error);
}

TEST_P(JobStoreTest, EnqueueJoinsTheCallersTransaction) {
  {
    Transaction tx(db());
    jobs_->Enqueue(tx, {.kind = "rolled.back"});
  }  // no commit
  {
    Transaction tx(db());
    jobs_->Enqueue(tx, {.kind = "committed"});
    tx.Commit();
  }
  std::vector<Job> all = jobs_->List();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, "committed");
}

TEST_P(JobStoreTest, ListFiltersAndPages) {
  for (int i = 0; i < 4; ++i) jobs_->Enqueue({.kind = i % 2 == 0 ? "even" : "odd"});
  jobs_->Complete(ClaimOne());
  EXPECT_EQ(jobs_->List().size(), 4u);
  EXPECT_EQ(jobs_->List({.kind = "even"}).size(), 2u);
  EXPECT_EQ(jobs_->List({.state = JobState::kDone}).size(), 1u);
  EXPECT_EQ(jobs_->List({.state = JobState::kPending, .kind = "odd"}).size(), 2u);
  const std::vector<Job> page = jobs_->List({.limit = 3});
  ASSERT_EQ(page.size(), 3u);
  const std::vector<Job> rest = jobs_->List({.after_id = page.back().id});
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_GT(rest[0].id, page.back().id);
}

TEST_P(JobStoreTest, BackoffIsCappedAndJittered) {
  EXPECT_EQ(jobs_->BackoffDelay(1), seconds(1));
  EXPECT_EQ(jobs_->BackoffDelay(4), seconds(8));
  EXPECT_EQ(jobs_->BackoffDelay(7), seconds(60));    // capped
  EXPECT_EQ(jobs_->BackoffDelay(500), seconds(60));  // no overflow

  JobStoreOptions low = Options();
  low.random_unit = [] { return 0.0; };
  EXPECT_EQ(JobStore(db(), clock_, low).BackoffDelay(1), milliseconds(800));
  JobStoreOptions random = Options();
  random.random_unit = nullptr;  // libsodium's generator
  JobStore store(db(), clock_, random);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    const milliseconds delay = store.BackoffDelay(3);
    ASSERT_GE(delay, milliseconds(3200));
    ASSERT_LE(delay, milliseconds(4800));
    seen.insert(delay.count());
  }
  EXPECT_GT(seen.size(), 10u);  // actually random
}

TEST_P(JobStoreTest, ConcurrentWorkersNeverShareAJob) {
  constexpr int kJobs = 60;
  constexpr int kWorkers = 3;
  for (int i = 0; i < kJobs; ++i) jobs_->Enqueue({.kind = "k"});

  std::mutex mutex;
  std::vector<std::int64_t> done;
  std::vector<std::string> errors;
  std::latch start(kWorkers);
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      try {
        std::unique_ptr<Database> handle = OpenAnother();  // as a separate process would
        JobStore store(*handle, clock_, Options());
        start.arrive_and_wait();
        for (;;) {
          std::vector<Job> claimed = store.ClaimDue(4);
          if (claimed.empty()) break;
          for (const Job& job : claimed) {
            store.Complete(job);
            std::lock_guard lock(mutex);
            done.push_back(job.id);
          }
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        errors.push_back(e.what());
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(done.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<std::int64_t>(done.begin(), done.end()).size(),
            static_cast<std::size_t>(kJobs));
  EXPECT_EQ(jobs_->List({.state = JobState::kDone, .limit = 1000}).size(),
            static_cast<std::size_t>(kJobs));
}

TEST_P(JobStoreTest, CountsMatchTheFiltersAndOffsetPages) {
  for (int i = 0; i < 3; ++i) jobs_->Enqueue({.kind = "a"});
  jobs_->Enqueue({.kind = "b"});
  jobs_->Enqueue({.kind = "a", .run_at = clock_.Now() + seconds(5)});
  EXPECT_EQ(jobs_->Count(), 5);
  EXPECT_EQ(jobs_->Count({.kind = std::string("a")}), 4);
  EXPECT_EQ(jobs_->Count({.state = JobState::kDone}), 0);
  EXPECT_EQ(jobs_->CountDue(), 4);
  std::vector<Job> page = jobs_->List({.kind = std::string("a"), .limit = 2, .offset = 1});
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[1].id - page[0].id, 1);
  EXPECT_EQ(jobs_->List({.kind = std::string("a"), .limit = 10, .offset = 3}).size(), 1u);
  jobs_->Complete(ClaimOne());
  EXPECT_EQ(jobs_->Count({.state = JobState::kDone}), 1);
  EXPECT_EQ(jobs_->CountDue(), 3);
  clock_.Advance(seconds(5));
  EXPECT_EQ(jobs_->CountDue(), 4);
}

TEST_P(JobStoreTest, FailInATransactionCommitsWithTheCallersWork) {
  const Job job = jobs_->Enqueue({.kind = "a", .max_attempts = 1});
  const Job claimed = ClaimOne();
  // The dead letter and a follow-up job commit together, or (on rollback) neither does.
  EXPECT_THROW(InTransaction(db(),
                             [&](Transaction& tx) {
                               EXPECT_EQ(jobs_->Fail(tx, claimed, "boom").state, JobState::kDead);
                               jobs_->Enqueue(tx, {.kind = "alert"});
                               throw std::runtime_error("roll back");
                             }),
               std::runtime_error);
  EXPECT_EQ(jobs_->Find(job.id)->state, JobState::kRunning);
  EXPECT_EQ(jobs_->Count({.kind = std::string("alert")}), 0);
  InTransaction(db(), [&](Transaction& tx) {
    jobs_->Fail(tx, claimed, "boom");
    jobs_->Enqueue(tx, {.kind = "alert"});
  });
  EXPECT_EQ(jobs_->Find(job.id)->state, JobState::kDead);
  EXPECT_EQ(jobs_->Count({.kind = std::string("alert")}), 1);
  // A stale claim inside a transaction: kConflict, answered through the transaction.
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(InTransaction(
                db(), [&](Transaction& tx) { return jobs_->Fail(tx, claimed, "again"); })),
            StorageErrorKind::kConflict);
}

TEST_P(JobStoreTest, ClaimReportsJobsDeadLetteredByAnExpiredLease) {
  const Job job = jobs_->Enqueue({.kind = "a", .max_attempts = 1});
  ClaimOne();
  clock_.Advance(seconds(30));
  std::vector<Job> dead;
  EXPECT_TRUE(jobs_
                  ->ClaimDue(10,
                             [&](SqlExecutor& tx, const Job& d) {
                               dead.push_back(d);
                               jobs_->Enqueue(
                                   tx, {.kind = "alert", .run_at = clock_.Now() + seconds(1)});
                             })
                  .empty());
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, job.id);
  EXPECT_EQ(dead[0].state, JobState::kDead);
  EXPECT_EQ(jobs_->Count({.kind = std::string("alert")}), 1);
  EXPECT_TRUE(jobs_->ClaimDue(10, [&](SqlExecutor&, const Job&) { ADD_FAILURE(); }).empty());
}

MGW_INSTANTIATE_FOR_BACKENDS(JobStoreTest);

}  // namespace
}  // namespace mgw::storage::testing
