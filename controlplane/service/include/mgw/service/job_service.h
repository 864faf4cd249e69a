#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mgw/service/caller.h"
#include "mgw/service/page.h"
#include "mgw/storage/job_store.h"

namespace mgw::service {

// Problem type of a retry refused because the job is running or already done.
inline constexpr std::string_view kJobNotRetryableProblem = "/problems/job-not-retryable";

struct JobListRequest {
  std::optional<storage::JobState> state;
  std::optional<std::string> kind;
  std::int64_t after_id = 0;  // keyset: only jobs with a larger id (0: from the start)
  PageRequest page;           // then limit/offset within those
};

// The durable jobs as administrators see them (GET /jobs, GET /jobs/{id}, retry). Every call
// needs an administrator with the admin scope (kForbidden otherwise). Holds only a reference to
// the store, so one instance serves every thread. Throws ServiceError.
class JobService {
 public:
  explicit JobService(storage::JobStore& jobs) : jobs_(jobs) {}

  // Oldest first (by id); `total` counts every job matching the state and kind filters.
  Page<storage::Job> List(const Caller& caller, const JobListRequest& request);
  // kNotFound when there is no such job.
  storage::Job Get(const Caller& caller, std::int64_t job_id);
  // A dead or pending job becomes pending, due now, with its attempts reset (the runner picks it
  // up on its next pass). kNotFound; kConflict (kJobNotRetryableProblem) when running or done.
  storage::Job Retry(const Caller& caller, std::int64_t job_id);

 private:
  storage::JobStore& jobs_;
};

}  // namespace mgw::service
