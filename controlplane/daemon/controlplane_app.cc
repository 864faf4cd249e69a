#include "mgw/controlplane/controlplane_app.h"

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "mgw/common/admin_endpoints.h"
#include "mgw/common/http_server.h"
#include "mgw/common/metrics.h"
#include "mgw/common/process_metrics.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/bootstrap_admin.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/storage_error.h"

namespace mgw::controlplane {
namespace {

std::unique_ptr<storage::Database> OpenConfiguredDatabase(const config::Config& config) {
  if (config.GetString("controlplane.database.backend") == "postgresql") {
    Secret uri = config.GetSecret("controlplane.database.postgresql_uri");
    if (uri.empty()) {
      throw config::ConfigError(
          "controlplane.database.postgresql_uri: expected a libpq URI when "
          "controlplane.database.backend = \"postgresql\"");
    }
    spdlog::info("database: PostgreSQL");
    return storage::OpenDatabase(uri.Reveal());
  }
  std::string path = config.GetPath("controlplane.database.sqlite_path", "state_dir");
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  spdlog::info("database: SQLite {}", path);
  return storage::OpenDatabase(path);
}

void BootstrapAdministrator(const config::Config& config, storage::AccountStore& accounts) {
  std::optional<std::string> user;
  if (!config.GetString("admin.user").empty()) user = config.GetString("admin.user");
  std::optional<std::string> password;
  if (!config.GetSecret("admin.password").empty()) {
    password = config.GetSecret("admin.password").Reveal();
  }
  storage::BootstrapResult result = storage::EnsureBootstrapAdmin(accounts, user, password);
  switch (result.outcome) {
    case storage::BootstrapOutcome::kAdminExists:
      break;
    case storage::BootstrapOutcome::kCreatedWithGivenPassword:
      spdlog::info("bootstrap administrator {} created with the configured password",
                   result.admin->email);
      break;
    case storage::BootstrapOutcome::kCreatedWithGeneratedPassword:
      // Printed once, straight to the terminal and never through the log; only the hash is kept.
      std::fprintf(stdout,
                   "\n  Bootstrap administrator created.\n    user:     %s\n    password: %s\n"
                   "  This password is shown only now; mgw stores only its hash.\n\n",
                   result.admin->email.c_str(), result.generated_password->c_str());
      std::fflush(stdout);
      spdlog::info("bootstrap administrator {} created with a generated password",
                   result.admin->email);
      break;
  }
}

// Per-route request counts and latencies, and an X-Request-Id on every response.
class InstrumentedHandler {
 public:
  InstrumentedHandler(metrics::Registry& registry, http::Handler inner)
      : requests_(registry.AddCounter("mgw_http_requests_total",
                                      "HTTP requests answered, by route and status.")),
        latency_(registry.AddHistogram("mgw_http_request_duration_seconds",
                                       "Time from request parsed to response ready, by route.",
                                       metrics::Histogram::LatencyBuckets())),
        inner_(std::move(inner)) {}

  http::Response operator()(const http::Request& request) {
    auto start = std::chrono::steady_clock::now();
    http::Response response = inner_(request);
    std::string id(request.Header("x-request-id").value_or(""));
    if (id.empty() || id.size() > 128) id = NewRequestId();
    response.headers.emplace_back("x-request-id", id);
    std::string route = RouteOf(request.path);
    requests_.WithLabels({{"route", route}, {"status", std::to_string(response.status)}}).Inc();
    latency_.WithLabels({{"route", route}})
        .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return response;
  }

 private:
  static std::string NewRequestId() {
    unsigned char bytes[12];
    randombytes_buf(bytes, sizeof bytes);
    std::string id;
    for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
    return id;
  }

  // A bounded label set: known fixed paths as they are, anything else collapsed, so a client
  // cannot grow the metrics without limit by inventing paths.
  static std::string RouteOf(const std::string& path) {
    for (const char* known : {"/healthz", "/readyz", "/metrics"}) {
      if (path == known) return path;
    }
    return "other";
  }

  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& latency_;
  http::Handler inner_;
};

}  // namespace

int RunControlplane(const config::Config& config, daemon::Shutdown& shutdown) {
  if (sodium_init() < 0) {
    spdlog::critical("libsodium failed to initialise");
    return 1;
  }
  if (config.GetBool("controlplane.tls.enabled")) {
    throw config::ConfigError(
        "controlplane.tls.enabled: TLS is not available in this build yet; terminate TLS in "
        "front of mgw-controlplane or set enabled = false");
  }
  storage::SystemClock clock;
  std::unique_ptr<storage::Database> db = OpenConfiguredDatabase(config);
  storage::MigrationReport migrations = storage::MigrateToLatest(*db, clock);
  spdlog::info("database schema at version {} ({} migration(s) applied now)",
               migrations.current_version, migrations.applied.size());
  if (!migrations.unknown.empty()) {
    spdlog::warn("the database has {} schema version(s) newer than this binary knows",
                 migrations.unknown.size());
  }
  storage::AccountStore accounts(*db, clock);
  BootstrapAdministrator(config, accounts);

  metrics::Registry registry;
  AddProcessMetrics(registry, "controlplane");
  AdminEndpoints admin(registry, [&db]() -> ReadyState {
    try {
      db->Query("SELECT 1");
      return {true, ""};
    } catch (const storage::StorageError& e) {
      return {false, fmt::format("database unavailable: {}", e.what())};
    }
  });
  http::ServerOptions options;
  options.address = config.GetString("controlplane.listen_address");
  options.port = static_cast<uint16_t>(config.GetInt("controlplane.port"));
  options.threads = static_cast<int>(config.GetInt("controlplane.threads"));
  options.max_body_bytes = static_cast<size_t>(config.GetInt("controlplane.max_body_bytes"));
  options.max_header_bytes = static_cast<size_t>(config.GetInt("controlplane.max_header_bytes"));
  InstrumentedHandler handler(
      registry, [&admin](const http::Request& request) { return admin.HandleOrNotFound(request); });
  http::Server server(options, std::ref(handler));
  server.Start();
  spdlog::info("API on http://{}:{}/ (healthz, readyz, metrics)", options.address, server.port());
  shutdown.Wait();
  server.Stop();
  return 0;
}

}  // namespace mgw::controlplane
