// mgw-recorder: joins meetings as a receive-only participant and writes them to files.
// This process owns no forwarding: a crash in a codec or muxer never touches mgw-dataplane.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "mgw/common/admin_endpoints.h"
#include "mgw/common/daemon.h"
#include "mgw/common/http_server.h"
#include "mgw/common/metrics.h"
#include "mgw/common/process_metrics.h"

namespace {

int Run(const mgw::config::Config& config, mgw::daemon::Shutdown& shutdown) {
  std::string output_dir = config.GetPath("recorder.output_dir", "state_dir");
  std::error_code ec;
  std::filesystem::create_directories(output_dir, ec);
  if (ec) {
    spdlog::critical("cannot create recorder.output_dir {}: {}", output_dir, ec.message());
    return 1;
  }

  mgw::metrics::Registry registry;
  mgw::AddProcessMetrics(registry, "recorder");
  auto& active = registry.AddGauge("mgw_recorder_active_recordings", "Recordings in progress.");
  active.Get().Set(0);
  mgw::AdminEndpoints admin(registry, [] { return mgw::ReadyState{true, ""}; });
  mgw::http::ServerOptions options;
  options.address = config.GetString("recorder.admin_address");
  options.port = static_cast<uint16_t>(config.GetInt("recorder.admin_port"));
  mgw::http::Server server(options,
                           [&](const mgw::http::Request& r) { return admin.HandleOrNotFound(r); });
  server.Start();
  spdlog::info("admin endpoints on http://{}:{}/ (healthz, readyz, metrics)", options.address,
               server.port());
  spdlog::info("recordings go to {}", output_dir);
  shutdown.Wait();
  server.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return mgw::daemon::Main(argc, argv,
                           {"mgw-recorder", "recorder",
                            "mgw-recorder: records meetings to crash-safe files in S3", Run});
}
