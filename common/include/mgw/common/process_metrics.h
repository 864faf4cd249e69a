#pragma once

#include <string_view>

#include "mgw/common/metrics.h"

namespace mgw {

// The standard process_* metrics (CPU seconds, resident memory, open fds, start time) read from
// /proc and getrusage at scrape time, and mgw_build_info{component,version} = 1.
void AddProcessMetrics(metrics::Registry& registry, std::string_view component);

}  // namespace mgw
