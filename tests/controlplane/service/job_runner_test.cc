// JobRunner on a real SQLite file with an injected clock: retry timing, dead letters and their
// alert, unknown kinds, fencing of a worker whose lease expired, metrics, and the runner thread.
#include "mgw/service/job_runner.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "mgw/common/metrics.h"
#include "mgw/service/notifications.h"
#include "mgw/storage/job_store.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/sqlite_database.h"
#include "mgw/storage/storage_error.h"
#include "temp_dir.h"

namespace mgw::service {
namespace {

using namespace std::chrono_literals;
using storage::FailureKind;
using storage::Job;
using storage::JobState;

constexpr const char* kAlertUrl = "http://198.18.0.1:9/alerts";

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = storage::OpenDatabase(dir_.File("mgw.db"));
    storage::MigrateToLatest(*db_, clock_);
    // Jitter pinned (random_unit 0.5 gives the factor 1), so retry times are exact.
    jobs_ = std::make_unique<storage::JobStore>(
        *db_, clock_,
        storage::JobStoreOptions{.max_attempts = 3,
                                 .base_backoff = 1s,
                                 .max_backoff = 60s,
                                 .jitter = 0.2,
                                 .lease = 30s,
                                 .random_unit = [] { return 0.5; }});
  }

  JobRunner& Runner(std::string alert_url = "") {
    runner_ = std::make_unique<JobRunner>(
        *jobs_, JobRunnerOptions{.poll_interval = 500ms,
                                 .batch = 4,
                                 .alert_webhook_url = std::move(alert_url),
                                 .metrics = &registry_});
    return *runner_;
  }

  Job Reload(const Job& job) { return *jobs_->Find(job.id); }

  std::vector<Job> Alerts() {
    std::vector<Job> alerts;
    for (Job& job : jobs_->List({.kind = std::string(kWebhookJobKind)})) {
      alerts.push_back(std::move(job));
    }
    return alerts;
  }

  mgw::testing::TempDir dir_;
  storage::ManualClock clock_{storage::FromUnixMillis(1'900'000'000'000)};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::JobStore> jobs_;
  metrics::Registry registry_;
  std::unique_ptr<JobRunner> runner_;
};

TEST_F(JobRunnerTest, RetriesAfterExponentialBackoffThenCompletes) {
  JobRunner& runner = Runner();
  int calls = 0;
  runner.Register("work", [&](const Job& job) {
    ++calls;
    EXPECT_EQ(job.attempts, calls);
    if (calls < 3) throw std::runtime_error("receiver busy");
  });
  const Job job = jobs_->Enqueue({.kind = "work", .payload = "{}", .max_attempts = 5});

  EXPECT_EQ(runner.RunDue(), 1u);
  Job stored = Reload(job);
  EXPECT_EQ(stored.state, JobState::kPending);
  EXPECT_EQ(stored.last_error, "receiver busy");
  EXPECT_EQ(stored.next_run_at, clock_.Now() + 1s);

  EXPECT_EQ(runner.RunDue(), 0u);  // not due yet
  clock_.Advance(999ms);
  EXPECT_EQ(runner.RunDue(), 0u);
  clock_.Advance(1ms);
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(Reload(job).next_run_at, clock_.Now() + 2s);  // doubled

  clock_.Advance(2s);
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(calls, 3);
  stored = Reload(job);
  EXPECT_EQ(stored.state, JobState::kDone);
  EXPECT_EQ(stored.attempts, 3);
  EXPECT_EQ(runner.RunDue(), 0u);
}

TEST_F(JobRunnerTest, DeadLettersAfterMaxAttemptsAndAlertsOnce) {
  JobRunner& runner = Runner(kAlertUrl);
  int calls = 0;
  runner.Register("work", [&](const Job&) {
    ++calls;
    throw std::runtime_error("still failing");
  });
  const Job job = jobs_->Enqueue({.kind = "work"});

  EXPECT_EQ(runner.RunDue(), 1u);
  clock_.Advance(1s);
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_TRUE(Alerts().empty()) << "alerted before the job was dead";
  clock_.Advance(2s);
  EXPECT_EQ(runner.RunDue(), 1u);  // the third and last attempt; the alert is not due to run
                                   // here because it has no handler in this test (see below)
  EXPECT_EQ(calls, 3);
  const Job dead = Reload(job);
  EXPECT_EQ(dead.state, JobState::kDead);
  EXPECT_EQ(dead.last_error, "still failing");

  std::vector<Job> alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  boost::json::value payload = boost::json::parse(alerts[0].payload);
  EXPECT_EQ(payload.at("url").as_string(), kAlertUrl);
  EXPECT_EQ(payload.at("event").as_string(), "job.dead_lettered");
  EXPECT_EQ(payload.at("body").at("job_id").as_int64(), job.id);
  EXPECT_EQ(payload.at("body").at("kind").as_string(), "work");
  EXPECT_EQ(payload.at("body").at("attempts").as_int64(), 3);
  EXPECT_EQ(payload.at("body").at("last_error").as_string(), "still failing");

  // Nothing delivers webhooks in this runner, so the alert itself dead-letters (no handler);
  // an alert about an alert would fail the same way forever, so none is raised.
  for (int i = 0; i < 5; ++i) {
    runner.RunDue();
    clock_.Advance(1h);
  }
  EXPECT_EQ(Reload(alerts[0]).state, JobState::kDead);
  EXPECT_EQ(Alerts().size(), 1u);
  EXPECT_EQ(calls, 3);
}

TEST_F(JobRunnerTest, PermanentFailureDeadLettersAtOnce) {
  JobRunner& runner = Runner(kAlertUrl);
  runner.Register("work", [](const Job&) {
    throw JobFailure(FailureKind::kPermanent, "HTTP 400: bad request");
  });
  const Job job = jobs_->Enqueue({.kind = "work"});
  EXPECT_EQ(runner.RunDue(), 1u);
  const Job dead = Reload(job);
  EXPECT_EQ(dead.state, JobState::kDead);
  EXPECT_EQ(dead.attempts, 1);
  EXPECT_EQ(dead.last_error, "HTTP 400: bad request");
  EXPECT_EQ(Alerts().size(), 1u);
}

TEST_F(JobRunnerTest, TransientJobFailureIsRetried) {
  JobRunner& runner = Runner();
  runner.Register("work",
                  [](const Job&) { throw JobFailure(FailureKind::kTransient, "HTTP 503"); });
  const Job job = jobs_->Enqueue({.kind = "work"});
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(Reload(job).state, JobState::kPending);
  EXPECT_EQ(Reload(job).last_error, "HTTP 503");
}

TEST_F(JobRunnerTest, UnknownKindIsDeadLetteredWithAClearError) {
  JobRunner& runner = Runner(kAlertUrl);
  runner.Register("known", [](const Job&) {});
  const Job job = jobs_->Enqueue({.kind = "mystery.kind"});
  EXPECT_EQ(runner.RunDue(), 1u);
  const Job dead = Reload(job);
  EXPECT_EQ(dead.state, JobState::kDead);
  EXPECT_EQ(dead.attempts, 1);
  EXPECT_EQ(dead.last_error, "no handler for job kind mystery.kind");
  ASSERT_EQ(Alerts().size(), 1u);
}

TEST_F(JobRunnerTest, AWorkerWhoseLeaseExpiredCannotOverwriteTheNewClaim) {
  // Two runners over one database, like two control planes. The first one's handler is slow:
  // while it runs, its lease expires and the second runner claims and completes the job.
  storage::JobStore second_store(
      *db_, clock_, {.max_attempts = 3, .lease = 30s, .random_unit = [] { return 0.5; }});
  JobRunner second(second_store);
  int second_calls = 0;
  second.Register("work", [&](const Job& job) {
    ++second_calls;
    EXPECT_EQ(job.attempts, 2);
  });

  JobRunner& first = Runner();
  int first_calls = 0;
  first.Register("work", [&](const Job& job) {
    ++first_calls;
    EXPECT_EQ(job.attempts, 1);
    clock_.Advance(31s);               // the lease (30 s) runs out mid-handler
    EXPECT_EQ(second.RunDue(), 1u);    // so the other worker takes the job over
    throw std::runtime_error("late");  // and this stale attempt's failure must not count
  });
  const Job job = jobs_->Enqueue({.kind = "work"});

  EXPECT_EQ(first.RunDue(), 1u);
  EXPECT_EQ(first_calls, 1);
  EXPECT_EQ(second_calls, 1);
  const Job stored = Reload(job);
  EXPECT_EQ(stored.state, JobState::kDone);
  EXPECT_EQ(stored.attempts, 2);
  EXPECT_FALSE(stored.last_error);
}

TEST_F(JobRunnerTest, LeaseExpiredOnTheLastAttemptDeadLettersAndAlerts) {
  JobRunner& runner = Runner(kAlertUrl);
  int calls = 0;
  runner.Register("work", [&](const Job&) { ++calls; });
  const Job job = jobs_->Enqueue({.kind = "work", .max_attempts = 1});
  // A worker claims it and dies (the process was killed): nobody completes or fails it.
  ASSERT_EQ(jobs_->ClaimDue(1).size(), 1u);
  EXPECT_EQ(runner.RunDue(), 0u);  // still leased
  clock_.Advance(30s);
  // Lease gone, but that was the last attempt: dead, not run. What runs is the alert it raised
  // in the same claim (it has no handler in this test).
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(Reload(job).state, JobState::kDead);
  std::vector<Job> alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(boost::json::parse(alerts[0].payload).at("body").at("job_id").as_int64(), job.id);
}

TEST_F(JobRunnerTest, DrainsABacklogLargerThanOneBatch) {
  JobRunner& runner = Runner();  // batch 4
  int calls = 0;
  runner.Register("work", [&](const Job&) { ++calls; });
  for (int i = 0; i < 10; ++i) jobs_->Enqueue({.kind = "work"});
  EXPECT_EQ(runner.RunDue(), 10u);
  EXPECT_EQ(calls, 10);
  EXPECT_EQ(jobs_->Count({.state = JobState::kDone}), 10);
}

TEST_F(JobRunnerTest, ExportsMetricsByKind) {
  JobRunner& runner = Runner();
  runner.Register("ok", [](const Job&) {});
  runner.Register("bad", [](const Job&) { throw JobFailure(FailureKind::kPermanent, "no"); });
  jobs_->Enqueue({.kind = "ok"});
  jobs_->Enqueue({.kind = "ok"});
  jobs_->Enqueue({.kind = "bad"});
  jobs_->Enqueue({.kind = "ok", .run_at = clock_.Now() + 1h});  // not due
  runner.RunDue();
  const std::string text = registry_.Render();
  EXPECT_NE(text.find("mgw_jobs_run_total{kind=\"ok\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("mgw_jobs_run_total{kind=\"bad\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("mgw_jobs_failed_total{kind=\"bad\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("mgw_jobs_dead_lettered_total{kind=\"bad\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("mgw_jobs_due 0"), std::string::npos) << text;
  clock_.Advance(2h);  // the fourth job is due now, and nobody has run it yet
  EXPECT_EQ(jobs_->CountDue(), 1);
}

TEST_F(JobRunnerTest, RegisterRefusesADuplicateKind) {
  JobRunner& runner = Runner();
  runner.Register("work", [](const Job&) {});
  EXPECT_THROW(runner.Register("work", [](const Job&) {}), std::logic_error);
  EXPECT_THROW(runner.Register("", [](const Job&) {}), std::invalid_argument);
}

TEST_F(JobRunnerTest, TheRunnerThreadRunsJobsWhenWoken) {
  // A poll interval far beyond the test's deadline: after its first pass, only Wake() can make
  // the thread look again.
  runner_ = std::make_unique<JobRunner>(
      *jobs_, JobRunnerOptions{.poll_interval = 1h, .metrics = &registry_});
  std::mutex mutex;
  std::condition_variable ran;
  int calls = 0;
  runner_->Register("work", [&](const Job&) {
    std::lock_guard lock(mutex);
    ++calls;
    ran.notify_all();
  });
  runner_->Start();
  // The first pass (at start) ends by publishing the backlog gauge: poll for it.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (registry_.Render().find("mgw_jobs_due 0") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_NE(registry_.Render().find("mgw_jobs_due 0"), std::string::npos);

  const Job job = jobs_->Enqueue({.kind = "work"});
  runner_->Wake();
  {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(ran.wait_for(lock, 10s, [&] { return calls == 1; }));
  }
  runner_->Stop();
  runner_->Stop();  // idempotent
  EXPECT_EQ(Reload(job).state, JobState::kDone);
}

TEST_F(JobRunnerTest, EnqueueHelpersValidateAndStoreThePayload) {
  const Job hook = EnqueueWebhook(*db_, *jobs_, "http://198.18.0.1/hook", "meeting.ended",
                                  boost::json::value{{"meeting_id", "m1"}});
  EXPECT_EQ(hook.kind, "webhook.deliver");
  EXPECT_EQ(boost::json::parse(hook.payload),
            boost::json::parse(R"({"url":"http://198.18.0.1/hook","event":"meeting.ended",
                                   "body":{"meeting_id":"m1"}})"));
  const Job mail = EnqueueEmail(*db_, *jobs_, "a@example.com", "Hello", "Text\n");
  EXPECT_EQ(mail.kind, "email.send");
  EXPECT_EQ(boost::json::parse(mail.payload),
            boost::json::parse(R"({"to":"a@example.com","subject":"Hello","text":"Text\n"})"));
  auto kind_of = [](const std::function<void()>& fn) {
    try {
      fn();
    } catch (const storage::StorageError& e) {
      return e.kind();
    }
    return storage::StorageErrorKind::kInternal;
  };
  EXPECT_EQ(kind_of([&] { EnqueueWebhook(*db_, *jobs_, "", "e", {}); }),
            storage::StorageErrorKind::kInvalidArgument);
  EXPECT_EQ(kind_of([&] { EnqueueEmail(*db_, *jobs_, "a@example.com", "Hi\r\nBcc: x@y", "t"); }),
            storage::StorageErrorKind::kInvalidArgument);
  EXPECT_EQ(jobs_->Count(), 2);  // the refused ones stored nothing
}

}  // namespace
}  // namespace mgw::service
