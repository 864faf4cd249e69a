#include "mgw/common/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "mgw/version.h"

namespace mgw {

void AddProcessMetrics(metrics::Registry& registry, std::string_view component) {
  registry.AddGauge("mgw_build_info", "Always 1; labels name the component and version.")
      .WithLabels({{"component", std::string(component)}, {"version", kVersion}})
      .Set(1);
  double start_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  registry.AddCollector([start_time](metrics::TextWriter& out) {
    using metrics::MetricType;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    out.Family("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
               MetricType::kCounter);
    out.Sample("process_cpu_seconds_total", cpu);

    long pages = 0;
    long resident = 0;
    std::ifstream statm("/proc/self/statm");
    if (statm >> pages >> resident) {
      out.Family("process_resident_memory_bytes", "Resident memory size in bytes.",
                 MetricType::kGauge);
      out.Sample("process_resident_memory_bytes",
                 static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
    }
    std::error_code ec;
    double fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++fds;
    }
    out.Family("process_open_fds", "Open file descriptors.", MetricType::kGauge);
    out.Sample("process_open_fds", fds);
    out.Family("process_start_time_seconds", "Start time since the Unix epoch, in seconds.",
               MetricType::kGauge);
    out.Sample("process_start_time_seconds", start_time);
  });
}

}  // namespace mgw
