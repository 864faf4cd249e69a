#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "mgw/storage/job_store.h"

namespace mgw::metrics {
class Registry;
}  // namespace mgw::metrics

namespace mgw::service {

// Thrown by a handler to fail its job with a given kind; any other exception is transient.
class JobFailure : public std::runtime_error {
 public:
  JobFailure(storage::FailureKind kind, const std::string& message);
  storage::FailureKind kind() const noexcept { return kind_; }

 private:
  storage::FailureKind kind_;
};

// Runs one claimed job. Returning normally completes it. Handlers must be idempotent: a job may
// run again after a crash between the handler's effect and Complete().
using JobHandler = std::function<void(const storage::Job&)>;

struct JobRunnerOptions {
  std::chrono::milliseconds poll_interval{500};
  std::size_t batch = 16;
  std::string alert_webhook_url;  // when set, a dead-lettered job enqueues a webhook.deliver there
  // Where the runner's metrics go (mgw_jobs_*); none when null. Must outlive the runner.
  metrics::Registry* metrics = nullptr;
};

// Runs the durable jobs of a JobStore: claims due jobs, calls the handler registered for each
// job's kind, then completes the job, or fails it (JobFailure's kind, else transient) so the store
// retries it with backoff or dead-letters it. A job whose kind has no handler fails permanently
// ("no handler for kind ..."), so it is visible in the dead letters instead of spinning.
// A lost lease (another worker claimed the job after this claim expired) is logged and the
// result dropped: the newer claim owns the job.
//
// Threading: Register() before Start(). RunDue() may be called from any one thread at a time
// (tests call it directly with a ManualClock); Start() runs it on its own thread.
class JobRunner {
 public:
  JobRunner(storage::JobStore& jobs, JobRunnerOptions options = {});
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  void Register(std::string kind, JobHandler handler);  // before Start(); one handler per kind
  std::size_t RunDue();  // claims due jobs and runs them on this thread; returns how many ran
  void Start();          // a thread calling RunDue() every poll_interval, or sooner after Wake()
  void Wake();
  void Stop();  // joins; a handler in progress finishes first. Idempotent.

 private:
  struct Metrics;
  void RunOne(const storage::Job& job);
  void Loop();

  storage::JobStore& jobs_;
  JobRunnerOptions options_;
  std::map<std::string, JobHandler, std::less<>> handlers_;
  std::unique_ptr<Metrics> metrics_;  // null without a registry

  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mgw::service
