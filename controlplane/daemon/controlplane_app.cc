#include "mgw/controlplane/controlplane_app.h"

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "api/http_api.h"
#include "instrumented_handler.h"
#include "mgw/common/admin_endpoints.h"
#include "mgw/common/http_server.h"
#include "mgw/common/http_upgrade.h"
#include "mgw/common/metrics.h"
#include "mgw/common/process_metrics.h"
#include "mgw/service/services.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/bootstrap_admin.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/storage_error.h"
#include "node/dataplane_link.h"
#include "node/node_registry.h"
#include "signalling/signalling_server.h"

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
  service::Services services(*db, clock);
  BootstrapAdministrator(config, services.account_store);
  HttpApi api(services);

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
  // The local dataplane: registered as a node, heartbeated, and programmed by signalling.
  const std::string dataplane_socket =
      config.GetPath("controlplane.dataplane_socket", "runtime_dir");
  std::string public_url = config.GetString("controlplane.public_url");
  while (!public_url.empty() && public_url.back() == '/') public_url.pop_back();
  DataplaneLink link(dataplane_socket);
  const std::string node_id = DefaultNodeId(dataplane_socket);
  SignallingServer signalling(services, &link, node_id);
  NodeRegistry nodes(
      services, link,
      {.node_id = node_id,
       .signalling_url = public_url + kSignallingPath,
       .on_node_down = [&signalling](const std::string& id) { signalling.NotifyNodeDown(id); }});
  nodes.Start();

  http::ServerOptions options;
  options.upgrade = [&signalling](std::unique_ptr<http::UpgradeRequest> upgrade) {
    signalling.Accept(std::move(upgrade));
  };
  options.address = config.GetString("controlplane.listen_address");
  options.port = static_cast<uint16_t>(config.GetInt("controlplane.port"));
  options.threads = static_cast<int>(config.GetInt("controlplane.threads"));
  options.max_body_bytes = static_cast<size_t>(config.GetInt("controlplane.max_body_bytes"));
  options.max_header_bytes = static_cast<size_t>(config.GetInt("controlplane.max_header_bytes"));
  // The API's routes first; what none of them matches is an admin endpoint or 404.
  InstrumentedHandler handler(
      registry,
      [&api](const http::Request& request) -> std::string {
        if (auto route = api.RouteOf(request)) return *route;
        for (const char* known : {"/healthz", "/readyz", "/metrics"}) {
          if (request.path == known) return known;
        }
        return "unmatched";
      },
      [&api, &admin](const http::Request& request) {
        if (auto response = api.Handle(request)) return *std::move(response);
        return admin.HandleOrNotFound(request);
      });
  http::Server server(options, std::ref(handler));
  server.Start();
  spdlog::info("API on http://{}:{}/ (accounts, meetings, signalling, healthz, readyz, metrics)",
               options.address, server.port());
  shutdown.Wait();
  nodes.Stop();
  signalling.CloseAll();
  server.Stop();
  return 0;
}

}  // namespace mgw::controlplane
