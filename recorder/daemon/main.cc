// mgw-recorder: joins meetings as a receive-only participant and writes them to files.
// This process owns no forwarding: a crash in a codec or muxer never touches mgw-dataplane.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "controlplane_client.h"
#include "mgw/common/admin_endpoints.h"
#include "mgw/common/daemon.h"
#include "mgw/common/http_server.h"
#include "mgw/common/metrics.h"
#include "mgw/common/process_metrics.h"
#include "mgw/common/secret_file.h"
#include "recorder_loop.h"

namespace {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// recorder.controlplane_url: http://host[:port] (the signalling WebSocket is on the same port).
HostPort ParseControlplaneUrl(const std::string& url) {
  static const std::regex kUrl(R"(^http://(\[[^\]]+\]|[^:/]+)(?::(\d{1,5}))?/?$)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) {
    throw mgw::config::ConfigError(
        "recorder.controlplane_url: expected http://host[:port] (https is not supported by the "
        "recorder yet), got \"" +
        url + "\"");
  }
  HostPort out{m[1].str(), 80};
  if (out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  if (m[2].matched) {
    const int port = std::stoi(m[2].str());
    if (port < 1 || port > 65535) {
      throw mgw::config::ConfigError("recorder.controlplane_url: port out of range in \"" + url +
                                     "\"");
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

std::optional<mgw::rec::S3Config> S3FromConfig(const mgw::config::Config& config) {
  if (config.GetString("recorder.s3.endpoint").empty()) return std::nullopt;
  if (config.GetString("recorder.s3.bucket").empty()) {
    throw mgw::config::ConfigError(
        "recorder.s3.bucket: expected a bucket name when recorder.s3.endpoint is set");
  }
  mgw::rec::S3Config s3;
  s3.endpoint = config.GetString("recorder.s3.endpoint");
  s3.bucket = config.GetString("recorder.s3.bucket");
  s3.scope.region = config.GetString("recorder.s3.region");
  s3.credentials.access_key = config.GetString("recorder.s3.access_key_id");
  s3.credentials.secret_key = config.GetSecret("recorder.s3.secret_access_key").Reveal();
  return s3;
}

std::string RecorderName(const mgw::config::Config& config) {
  if (!config.GetString("recorder.name").empty()) return config.GetString("recorder.name");
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "mgw-recorder";
  return host;
}

int Run(const mgw::config::Config& config, mgw::daemon::Shutdown& shutdown) {
  std::string output_dir = config.GetPath("recorder.output_dir", "state_dir");
  std::error_code ec;
  std::filesystem::create_directories(output_dir, ec);
  if (ec) {
    spdlog::critical("cannot create recorder.output_dir {}: {}", output_dir, ec.message());
    return 1;
  }
  std::string base_url = config.GetString("recorder.controlplane_url");
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  const HostPort controlplane = ParseControlplaneUrl(base_url);
  const std::optional<mgw::rec::S3Config> s3 = S3FromConfig(config);
  const mgw::Secret secret = mgw::LoadOrCreateSecretFile(
      config.GetSecret("recorder.secret"), config.GetPath("recorder.secret_file", "runtime_dir"));

  mgw::rec::ControlplaneClient client(base_url, secret);
  const auto lease = std::chrono::seconds(config.GetInt("recorder.lease_seconds"));
  mgw::rec::RecorderLoop loop(
      client,
      {.name = RecorderName(config),
       .signalling_host = controlplane.host,
       .signalling_port = controlplane.port,
       .media_address = config.GetString("recorder.media_address"),
       .output_dir = output_dir,
       .max_video_feeds = static_cast<int>(config.GetInt("recorder.max_video_feeds")),
       .mix_audio = config.GetBool("recorder.mix_audio"),
       .receive_batch = std::chrono::milliseconds(config.GetInt("recorder.receive_batch_ms")),
       .poll_interval = std::chrono::milliseconds(config.GetInt("recorder.poll_interval_ms")),
       .heartbeat_interval = std::chrono::duration_cast<std::chrono::milliseconds>(lease) / 3,
       .link_ttl = std::chrono::seconds(config.GetInt("recorder.link_ttl_seconds")),
       .s3 = s3,
       .part_size = static_cast<uint64_t>(config.GetInt("recorder.s3.part_size_bytes"))});

  mgw::metrics::Registry registry;
  mgw::AddProcessMetrics(registry, "recorder");
  auto& active = registry.AddGauge("mgw_recorder_active_recordings", "Recordings in progress.");
  active.Get().Set(0);
  auto& completed =
      registry.AddGauge("mgw_recorder_completed_recordings", "Recordings delivered since start.");
  auto& failed = registry.AddGauge("mgw_recorder_failed_recordings",
                                   "Recordings reported failed since start.");
  mgw::AdminEndpoints admin(registry, [] { return mgw::ReadyState{true, ""}; });
  mgw::http::ServerOptions options;
  options.address = config.GetString("recorder.admin_address");
  options.port = static_cast<uint16_t>(config.GetInt("recorder.admin_port"));
  mgw::http::Server server(options, [&](const mgw::http::Request& r) {
    // The gauges are read from the loop's atomics whenever someone looks.
    active.Get().Set(loop.active());
    completed.Get().Set(static_cast<double>(loop.completed()));
    failed.Get().Set(static_cast<double>(loop.failed()));
    return admin.HandleOrNotFound(r);
  });
  server.Start();
  spdlog::info("admin endpoints on http://{}:{}/ (healthz, readyz, metrics)", options.address,
               server.port());
  spdlog::info("recordings go to {}; work comes from {}",
               s3 ? "s3 bucket " + s3->bucket : output_dir, base_url);
  loop.Start();
  shutdown.Wait();
  loop.Stop();
  server.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return mgw::daemon::Main(argc, argv,
                           {"mgw-recorder", "recorder",
                            "mgw-recorder: records meetings to crash-safe files in S3", Run});
}
