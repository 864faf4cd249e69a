#include "mgw/service/job_service.h"

#include <fmt/format.h>

#include "mgw/service/service_error.h"
#include "mgw/storage/storage_error.h"

namespace mgw::service {
namespace {

ServiceError NotFound(std::int64_t job_id) {
  return ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                      fmt::format("no job {}", job_id));
}

}  // namespace

Page<storage::Job> JobService::List(const Caller& caller, const JobListRequest& request) {
  RequireAdmin(caller, "list jobs");
  storage::JobQuery query{.state = request.state,
                          .kind = request.kind,
                          .limit = request.page.limit,
                          .after_id = request.after_id,
                          .offset = request.page.offset};
  Page<storage::Job> page{{}, 0, request.page.limit, request.page.offset};
  page.items = jobs_.List(query);
  page.total = jobs_.Count(query);
  return page;
}

storage::Job JobService::Get(const Caller& caller, std::int64_t job_id) {
  RequireAdmin(caller, "read jobs");
  std::optional<storage::Job> job = jobs_.Find(job_id);
  if (!job) throw NotFound(job_id);
  return *std::move(job);
}

storage::Job JobService::Retry(const Caller& caller, std::int64_t job_id) {
  RequireAdmin(caller, "retry jobs");
  try {
    return jobs_.Retry(job_id);
  } catch (const storage::StorageError& e) {
    if (e.kind() == storage::StorageErrorKind::kNotFound) throw NotFound(job_id);
    if (e.kind() != storage::StorageErrorKind::kConflict) throw;
    // The store's conflict says which state refused; re-read it for the problem's detail.
    std::optional<storage::Job> job = jobs_.Find(job_id);
    if (!job) throw NotFound(job_id);
    if (job->state == storage::JobState::kDead || job->state == storage::JobState::kPending) {
      throw;  // a database conflict, not the job's state: 503, retry
    }
    throw ServiceError(ErrorKind::kConflict, std::string(kJobNotRetryableProblem),
                       "Job not retryable",
                       fmt::format("job {} is {}; only dead or pending jobs can be retried", job_id,
                                   storage::ToString(job->state)));
  }
}

}  // namespace mgw::service
