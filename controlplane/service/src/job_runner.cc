#include "mgw/service/job_runner.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <cstdint>
#include <exception>
#include <map>
#include <utility>

#include "mgw/common/metrics.h"
#include "mgw/service/notifications.h"
#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"

namespace mgw::service {
namespace {

constexpr std::string_view kDeadLetterEvent = "job.dead_lettered";

// An alert about an alert that could not be delivered would only fail the same way, forever.
bool IsDeadLetterAlert(const storage::Job& job) {
  if (job.kind != kWebhookJobKind) return false;
  boost::system::error_code ec;
  boost::json::value payload = boost::json::parse(job.payload, ec);
  if (ec || !payload.is_object()) return false;
  const boost::json::value* event = payload.as_object().if_contains("event");
  return event && event->is_string() && event->as_string() == kDeadLetterEvent;
}

}  // namespace

struct JobRunner::Metrics {
  explicit Metrics(metrics::Registry& registry)
      : run(registry.AddCounter("mgw_jobs_run_total", "Job attempts run, by kind.")),
        failed(
            registry.AddCounter("mgw_jobs_failed_total",
                                "Job attempts that failed (retried or dead-lettered), by kind.")),
        dead(registry.AddCounter("mgw_jobs_dead_lettered_total", "Jobs dead-lettered, by kind.")),
        due(registry.AddGauge("mgw_jobs_due",
                              "Pending jobs already due, as of the runner's last pass.")) {}

  metrics::Family<metrics::Counter>& run;
  metrics::Family<metrics::Counter>& failed;
  metrics::Family<metrics::Counter>& dead;
  metrics::Family<metrics::Gauge>& due;
};

JobFailure::JobFailure(storage::FailureKind kind, const std::string& message)
    : std::runtime_error(message), kind_(kind) {}

JobRunner::JobRunner(storage::JobStore& jobs, JobRunnerOptions options)
    : jobs_(jobs), options_(std::move(options)) {
  if (options_.batch == 0) options_.batch = 1;
  if (options_.metrics) metrics_ = std::make_unique<Metrics>(*options_.metrics);
}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Register(std::string kind, JobHandler handler) {
  if (thread_.joinable()) throw std::logic_error("JobRunner::Register after Start");
  if (kind.empty() || !handler) throw std::invalid_argument("a job handler needs a kind");
  auto [it, inserted] = handlers_.emplace(std::move(kind), std::move(handler));
  if (!inserted) throw std::logic_error("a handler for job kind " + it->first + " already exists");
}

std::size_t JobRunner::RunDue() {
  std::size_t ran = 0;
  // Keep claiming while full batches come back, so a backlog drains in one pass.
  for (;;) {
    // Keyed by id: the claim's transaction may run again after a conflict, calling the hook
    // again for the same jobs (the alert it enqueued then was rolled back with it).
    std::map<std::int64_t, storage::Job> dead_lettered;
    std::vector<storage::Job> batch =
        jobs_.ClaimDue(options_.batch, [&](storage::SqlExecutor& tx, const storage::Job& dead) {
          dead_lettered.insert_or_assign(dead.id, dead);
          if (!options_.alert_webhook_url.empty() && !IsDeadLetterAlert(dead)) {
            EnqueueWebhook(tx, jobs_, options_.alert_webhook_url, std::string(kDeadLetterEvent),
                           boost::json::value{{"job_id", dead.id},
                                              {"kind", dead.kind},
                                              {"attempts", dead.attempts},
                                              {"last_error", dead.last_error.value_or("")}});
          }
        });
    for (const auto& [id, dead] : dead_lettered) {
      spdlog::warn("job {} ({}) dead-lettered: lease expired on its last attempt", id, dead.kind);
      if (metrics_) metrics_->dead.WithLabels({{"kind", dead.kind}}).Inc();
    }
    for (const storage::Job& job : batch) RunOne(job);
    ran += batch.size();
    if (batch.size() < options_.batch) break;
    std::lock_guard lock(mutex_);
    if (stopping_) break;
  }
  if (metrics_) metrics_->due.Get().Set(static_cast<double>(jobs_.CountDue()));
  return ran;
}

void JobRunner::RunOne(const storage::Job& job) {
  if (metrics_) metrics_->run.WithLabels({{"kind", job.kind}}).Inc();
  std::string error;
  storage::FailureKind failure = storage::FailureKind::kTransient;
  auto handler = handlers_.find(job.kind);
  if (handler == handlers_.end()) {
    error = "no handler for job kind " + job.kind;
    failure = storage::FailureKind::kPermanent;
  } else {
    try {
      handler->second(job);
    } catch (const JobFailure& e) {
      error = e.what();
      failure = e.kind();
      if (error.empty()) error = "failed";
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "failed";
    } catch (...) {
      error = "unknown exception";
    }
  }

  try {
    if (error.empty()) {
      jobs_.Complete(job);
      return;
    }
    if (metrics_) metrics_->failed.WithLabels({{"kind", job.kind}}).Inc();
    // The dead-letter and its alert commit together: the alert goes out once, or not at all
    // while the job is still retrying.
    storage::Job stored = storage::InTransaction(jobs_.database(), [&](storage::Transaction& tx) {
      storage::Job failed = jobs_.Fail(tx, job, error, failure);
      if (failed.state == storage::JobState::kDead && !options_.alert_webhook_url.empty() &&
          !IsDeadLetterAlert(failed)) {
        EnqueueWebhook(tx, jobs_, options_.alert_webhook_url, std::string(kDeadLetterEvent),
                       boost::json::value{{"job_id", failed.id},
                                          {"kind", failed.kind},
                                          {"attempts", failed.attempts},
                                          {"last_error", error}});
      }
      return failed;
    });
    if (stored.state == storage::JobState::kDead) {
      if (metrics_) metrics_->dead.WithLabels({{"kind", job.kind}}).Inc();
      spdlog::warn("job {} ({}) dead-lettered after {} attempt(s): {}", job.id, job.kind,
                   job.attempts, error);
    } else {
      spdlog::info("job {} ({}) attempt {} failed, retrying: {}", job.id, job.kind, job.attempts,
                   error);
    }
  } catch (const storage::StorageError& e) {
    // kConflict: the lease expired and another claim owns the job now; kNotFound: it is gone.
    // Either way this attempt's result no longer matters. Anything else (the database is
    // unreachable) leaves the job running until its lease expires, then it is claimed again.
    spdlog::warn("job {} ({}) attempt {}: result not recorded: {}", job.id, job.kind, job.attempts,
                 e.what());
  }
}

void JobRunner::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void JobRunner::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void JobRunner::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JobRunner::Loop() {
  for (;;) {
    try {
      RunDue();
    } catch (const std::exception& e) {
      // The database was unreachable for the claim; try again on the next tick.
      spdlog::warn("job runner: {}", e.what());
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.poll_interval, [this] { return woken_ || stopping_; });
    woken_ = false;
    if (stopping_) return;
  }
}

}  // namespace mgw::service
