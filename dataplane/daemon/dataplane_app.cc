#include "mgw/dataplane/dataplane_app.h"

#include <fmt/format.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>
#include <optional>
#include <vector>

#include "mgw/common/admin_endpoints.h"
#include "mgw/common/http_server.h"
#include "mgw/common/metrics.h"
#include "mgw/common/process_metrics.h"
#include "mgw/control/control_server.h"
#include "mgw/dataplane/dataplane_service.h"
#include "mgw/dataplane/worker.h"
#include "mgw/io/backend_factory.h"

namespace mgw::dataplane {
namespace {

// dataplane.worker_cpus: empty, or one CPU per worker that this process may run on, no CPU
// twice. Checked before any worker starts, so a typo stops start-up instead of a worker.
std::vector<std::optional<int>> WorkerCpusFrom(const config::Config& config, size_t workers) {
  const std::vector<std::string>& list = config.GetStringList("dataplane.worker_cpus");
  std::vector<std::optional<int>> cpus(workers);
  if (list.empty()) return cpus;
  const std::string origin = config.GetOrigin("dataplane.worker_cpus").Describe();
  if (list.size() != workers) {
    throw config::ConfigError(
        fmt::format("{}: dataplane.worker_cpus: expected {} CPU number(s), one per worker "
                    "(dataplane.workers), got {}",
                    origin, workers, list.size()));
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) CPU_ZERO(&allowed);
  for (size_t w = 0; w < workers; ++w) {
    int cpu = -1;
    const std::string& text = list[w];
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cpu);
    if (ec != std::errc() || end != text.data() + text.size() || cpu < 0 || cpu >= CPU_SETSIZE) {
      throw config::ConfigError(
          fmt::format("{}: dataplane.worker_cpus: expected CPU numbers, got \"{}\"", origin, text));
    }
    if (!CPU_ISSET(cpu, &allowed)) {
      throw config::ConfigError(
          fmt::format("{}: dataplane.worker_cpus: CPU {} is not one this process may run on "
                      "(see taskset -p / the service's CPUAffinity)",
                      origin, cpu));
    }
    for (size_t earlier = 0; earlier < w; ++earlier) {
      if (cpus[earlier] == cpu) {
        throw config::ConfigError(fmt::format(
            "{}: dataplane.worker_cpus: CPU {} is named twice; one worker per core", origin, cpu));
      }
    }
    cpus[w] = cpu;
  }
  return cpus;
}

io::BackendConfig BackendConfigFrom(const config::Config& config) {
  io::BackendConfig backend;
  const std::string& kind = config.GetString("dataplane.backend");
  backend.kind = *io::ParseBackendKind(kind);  // the schema allows only valid names
  auto address = io::IpAddress::Parse(config.GetString("dataplane.media_address"));
  if (!address) {
    throw config::ConfigError(
        fmt::format("{}: dataplane.media_address: expected an IPv4 or IPv6 address, got \"{}\"",
                    config.GetOrigin("dataplane.media_address").Describe(),
                    config.GetString("dataplane.media_address")));
  }
  backend.local.address = *address;
  backend.local.port = static_cast<uint16_t>(config.GetInt("dataplane.media_port"));
  backend.queues = static_cast<uint16_t>(config.GetInt("dataplane.workers"));
  // A burst can fan out to 32 x 50 legs; let the sockets and rings absorb it.
  backend.uring.tx_slots = 4096;
  backend.uring.ring_entries = 4096;
  backend.socket_send_buffer = 4 << 20;
  backend.socket_receive_buffer = 4 << 20;
  backend.dpdk.eal_args = config.GetStringList("dataplane.dpdk.eal_args");
  backend.dpdk.port = config.GetString("dataplane.dpdk.port");
  if (backend.kind == io::BackendKind::kDpdk && backend.dpdk.port.empty()) {
    throw config::ConfigError(
        "dataplane.dpdk.port: expected a device name or devargs when dataplane.backend = "
        "\"dpdk\"");
  }
  backend.dpdk.prefix_length = static_cast<uint8_t>(config.GetInt("dataplane.dpdk.prefix_length"));
  if (const std::string& gateway = config.GetString("dataplane.dpdk.gateway"); !gateway.empty()) {
    backend.dpdk.gateway = io::IpAddress::Parse(gateway);
    if (!backend.dpdk.gateway || !backend.dpdk.gateway->is_v4()) {
      throw config::ConfigError(
          fmt::format("{}: dataplane.dpdk.gateway: expected an IPv4 address, got \"{}\"",
                      config.GetOrigin("dataplane.dpdk.gateway").Describe(), gateway));
    }
  }
  if (const std::string& mac = config.GetString("dataplane.dpdk.gateway_mac"); !mac.empty()) {
    backend.dpdk.gateway_mac = io::ParseMacAddress(mac);
    if (!backend.dpdk.gateway_mac) {
      throw config::ConfigError(
          fmt::format("{}: dataplane.dpdk.gateway_mac: expected aa:bb:cc:dd:ee:ff, got \"{}\"",
                      config.GetOrigin("dataplane.dpdk.gateway_mac").Describe(), mac));
    }
  }
  backend.dpdk.arp_reachable_ms =
      static_cast<uint32_t>(config.GetInt("dataplane.dpdk.arp_reachable_ms"));
  return backend;
}

dp::ForwarderConfig ForwarderConfigFrom(const config::Config& config) {
  dp::ForwarderConfig forwarder;
  const auto participants = static_cast<uint32_t>(config.GetInt("dataplane.max_participants"));
  forwarder.max_participants = participants;
  forwarder.max_streams = 2 * participants;
  forwarder.max_ssrcs = 8 * participants;
  forwarder.max_legs = static_cast<uint32_t>(config.GetInt("dataplane.max_legs"));
  forwarder.keyframe_request_interval_us =
      static_cast<uint64_t>(config.GetInt("dataplane.pli_interval_ms")) * 1000;
  forwarder.openssl_srtp_rtp = config.GetString("dataplane.srtp_protect") == "openssl";
  forwarder.video_cache.max_age_us =
      static_cast<uint64_t>(config.GetInt("dataplane.nack_cache_ms")) * 1000;
  return forwarder;
}

}  // namespace

int RunDataplane(const config::Config& config, daemon::Shutdown& shutdown) {
  io::BackendConfig backend_config = BackendConfigFrom(config);
  dp::ForwarderConfig forwarder_config = ForwarderConfigFrom(config);

  const std::vector<std::optional<int>> cpus =
      WorkerCpusFrom(config, static_cast<size_t>(config.GetInt("dataplane.workers")));
  io::BackendResult created = io::CreatePacketBackend(backend_config);
  if (!created) {
    spdlog::critical("packet backend: {}", created.error);
    return 1;
  }
  io::PacketBackend& backend = *created.backend;
  spdlog::info("packet backend {} on {} with {} queue(s)", backend.name(),
               backend.local_endpoint().ToString(), backend.queue_count());

  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<Worker*> worker_pointers;
  for (uint16_t q = 0; q < backend.queue_count(); ++q) {
    workers.push_back(std::make_unique<Worker>(q, backend, forwarder_config, SteadyClockMicros));
    workers.back()->SetIdlePoll(std::chrono::microseconds(config.GetInt("dataplane.idle_poll_us")));
    worker_pointers.push_back(workers.back().get());
  }
  DataplaneService service(backend, worker_pointers, forwarder_config);
  service.SetPerLegMetrics(config.GetBool("dataplane.per_leg_metrics"));
  for (size_t w = 0; w < workers.size(); ++w) {
    workers[w]->Start(w < cpus.size() ? cpus[w] : std::nullopt);
  }

  control::ControlServer control(config.GetPath("dataplane.control_socket", "runtime_dir"),
                                 service);
  control.Start();
  spdlog::info("control socket {}", control.path());

  metrics::Registry registry;
  AddProcessMetrics(registry, "dataplane");
  registry.AddCollector([&service](metrics::TextWriter& out) { service.CollectMetrics(out); });
  AdminEndpoints admin(registry, [] { return ReadyState{true, ""}; });
  http::ServerOptions options;
  options.address = config.GetString("dataplane.admin_address");
  options.port = static_cast<uint16_t>(config.GetInt("dataplane.admin_port"));
  http::Server server(options, [&](const http::Request& r) { return admin.HandleOrNotFound(r); });
  server.Start();
  spdlog::info("admin endpoints on http://{}:{}/ (healthz, readyz, metrics)", options.address,
               server.port());

  shutdown.Wait();
  server.Stop();
  control.Stop();
  service.StopAddressSync();  // it waits on workers
  for (auto& worker : workers) worker->Stop();
  return 0;
}

}  // namespace mgw::dataplane
