#include "mgw/controlplane/controlplane_app.h"

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <string_view>

#include "api/http_api.h"
#include "instrumented_handler.h"
#include "mgw/common/admin_endpoints.h"
#include "mgw/common/http_server.h"
#include "mgw/common/http_upgrade.h"
#include "mgw/common/metrics.h"
#include "mgw/common/process_metrics.h"
#include "mgw/common/secret_file.h"
#include "mgw/service/job_runner.h"
#include "mgw/service/notifications.h"
#include "mgw/service/services.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/bootstrap_admin.h"
#include "mgw/storage/cache_listener.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/storage_error.h"
#include "node/dataplane_link.h"
#include "node/node_registry.h"
#include "pexip/pexip_api.h"
#include "signalling/meeting_relay.h"
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

// The TLS files when TLS is on, checked now so a bad one stops start-up naming its key.
std::optional<http::TlsFiles> ConfiguredTls(const config::Config& config) {
  if (!config.GetBool("controlplane.tls.enabled")) return std::nullopt;
  http::TlsFiles files{config.GetString("controlplane.tls.cert_file"),
                       config.GetString("controlplane.tls.key_file")};
  try {
    http::CheckTlsFiles(files);
  } catch (const http::TlsFileError& e) {
    throw config::ConfigError(fmt::format("{}: {}",
                                          e.file() == http::TlsFileError::File::kCertificate
                                              ? "controlplane.tls.cert_file"
                                              : "controlplane.tls.key_file",
                                          e.what()));
  }
  return files;
}

// controlplane.jobs.*: attempts, backoff and lease of the durable job table.
storage::JobStoreOptions ConfiguredJobStore(const config::Config& config) {
  storage::JobStoreOptions jobs;
  jobs.max_attempts = static_cast<int>(config.GetInt("controlplane.jobs.max_attempts"));
  jobs.base_backoff = std::chrono::milliseconds(config.GetInt("controlplane.jobs.backoff_base_ms"));
  jobs.max_backoff = std::chrono::milliseconds(config.GetInt("controlplane.jobs.backoff_max_ms"));
  jobs.lease = std::chrono::milliseconds(config.GetInt("controlplane.jobs.lease_ms"));
  if (jobs.max_backoff < jobs.base_backoff) {
    throw config::ConfigError(
        "controlplane.jobs.backoff_max_ms: expected at least controlplane.jobs.backoff_base_ms");
  }
  return jobs;
}

// Stops start-up on a URL of the wrong scheme, naming its key; empty is allowed (feature off).
void RequireScheme(const config::Config& config, const char* key,
                   std::initializer_list<std::string_view> schemes) {
  const std::string url = config.GetString(key);
  if (url.empty()) return;
  for (std::string_view scheme : schemes) {
    if (url.starts_with(scheme) && url.size() > scheme.size()) return;
  }
  std::string expected;
  for (std::string_view scheme : schemes) {
    expected += expected.empty() ? "" : " or ";
    expected += std::string(scheme) + "...";
  }
  throw config::ConfigError(fmt::format("{}: expected a URL {}, got \"{}\"", key, expected, url));
}

// notifications.*: webhook signing and timeouts, SMTP.
service::NotificationOptions ConfiguredNotifications(const config::Config& config) {
  RequireScheme(config, "notifications.smtp.url", {"smtp://", "smtps://"});
  service::NotificationOptions options;
  options.webhook_secret = config.GetSecret("notifications.webhook_secret");
  options.webhook_timeout =
      std::chrono::milliseconds(config.GetInt("notifications.webhook_timeout_ms"));
  options.webhook_connect_timeout =
      std::min(options.webhook_timeout, options.webhook_connect_timeout);
  options.smtp_url = config.GetString("notifications.smtp.url");
  options.smtp_starttls = config.GetBool("notifications.smtp.starttls");
  options.smtp_ca_file = config.GetString("notifications.smtp.ca_file");
  options.smtp_username = config.GetString("notifications.smtp.username");
  options.smtp_password = config.GetSecret("notifications.smtp.password");
  options.smtp_from = config.GetString("notifications.smtp.from");
  if (!options.smtp_url.empty() && options.smtp_from.empty()) {
    throw config::ConfigError(
        "notifications.smtp.from: expected a sender address when notifications.smtp.url is set");
  }
  return options;
}

// schedules.*: alias numbers and names, join links, invitations, cleanup.
service::ScheduleOptions ConfiguredSchedules(const config::Config& config) {
  service::ScheduleOptions options;
  options.alias_range = {.first = config.GetInt("schedules.alias_range_start"),
                         .last = config.GetInt("schedules.alias_range_end")};
  if (options.alias_range.last < options.alias_range.first) {
    throw config::ConfigError(
        "schedules.alias_range_end: expected at least schedules.alias_range_start");
  }
  options.alias_prefix = config.GetString("schedules.alias_prefix");
  if (options.alias_prefix.empty() ||
      std::all_of(options.alias_prefix.begin(), options.alias_prefix.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    throw config::ConfigError(
        "schedules.alias_prefix: expected a prefix that is not empty and not all digits");
  }
  options.alias_domain = config.GetString("schedules.alias_domain");
  if (options.alias_domain.empty()) {
    throw config::ConfigError("schedules.alias_domain: expected a domain, got an empty string");
  }
  options.alias_quarantine = std::chrono::seconds(config.GetInt("schedules.alias_quarantine_s"));
  options.join_address = config.GetString("schedules.join_address");
  if (options.join_address.empty()) {
    throw config::ConfigError("schedules.join_address: expected a host, got an empty string");
  }
  options.bandwidth_kbps = static_cast<int>(config.GetInt("schedules.join_bandwidth_kbps"));
  RequireScheme(config, "schedules.invitation_webhook_url", {"http://", "https://"});
  options.invitation_webhook_url = config.GetString("schedules.invitation_webhook_url");
  // Without an SMTP server every email job would only be dead-lettered: leave them out.
  options.invitation_email = config.GetBool("schedules.invitation_email") &&
                             !config.GetString("notifications.smtp.url").empty();
  if (config.GetBool("schedules.invitation_email") && !options.invitation_email) {
    spdlog::info("schedules: invitations are not emailed: notifications.smtp.url is empty");
  }
  options.cleanup_interval = std::chrono::seconds(config.GetInt("schedules.cleanup_interval_s"));
  return options;
}

// The relay between control planes sharing a PostgreSQL database; none on SQLite (one process).
std::unique_ptr<MeetingRelay> StartRelay(const config::Config& config, storage::Database& db,
                                         SignallingHandler& handler) {
  if (config.GetString("controlplane.database.backend") != "postgresql") return nullptr;
  auto relay = std::make_unique<MeetingRelay>(
      config.GetSecret("controlplane.database.postgresql_uri").Reveal(), db,
      MeetingRelay::Callbacks{
          .on_broadcast = [&handler](
                              const std::string& meeting_id, const std::string& text,
                              bool close) { handler.DeliverRelayed(meeting_id, text, close); },
          .on_call =
              [&handler](const control::Command& command) {
                return handler.CallLocalDataplane(command);
              },
          .manages = [&handler](const std::string& node_id) { return handler.Manages(node_id); },
          .on_resync = [&handler] { handler.Resync(); }});
  handler.SetRelay(relay.get());
  relay->Start();
  spdlog::info("signalling relay: LISTEN {} (instance {})", MeetingRelay::kChannel,
               relay->instance_id());
  return relay;
}

}  // namespace

// pexip.*: Basic credentials of the Pexip-compatible management API; a user name needs a password.
PexipApiOptions ConfiguredPexip(const config::Config& config) {
  PexipApiOptions options{.username = config.GetString("pexip.username"),
                          .password = config.GetSecret("pexip.password"),
                          .public_url = config.GetString("controlplane.public_url")};
  if (!options.username.empty() && options.password.empty()) {
    throw config::ConfigError(
        "pexip.username is set, so pexip.password must be too (expected a password, got an "
        "empty string)");
  }
  return options;
}

// conferences.pin_lockout.*: the wrong-PIN lockout of conferences joined by alias.
service::RoomOptions ConfiguredRooms(const config::Config& config) {
  service::RoomOptions options;
  options.lockout.max_failures = config.GetInt("conferences.pin_lockout.max_failures");
  options.lockout.base_backoff =
      std::chrono::seconds(config.GetInt("conferences.pin_lockout.base_backoff_s"));
  options.lockout.max_backoff =
      std::chrono::seconds(config.GetInt("conferences.pin_lockout.max_backoff_s"));
  if (options.lockout.max_backoff < options.lockout.base_backoff) {
    throw config::ConfigError(
        "conferences.pin_lockout.max_backoff_s: expected at least "
        "conferences.pin_lockout.base_backoff_s");
  }
  return options;
}

int RunControlplane(const config::Config& config, daemon::Shutdown& shutdown) {
  if (sodium_init() < 0) {
    spdlog::critical("libsodium failed to initialise");
    return 1;
  }
  const std::optional<http::TlsFiles> tls = ConfiguredTls(config);
  storage::SystemClock clock;
  std::unique_ptr<storage::Database> db = OpenConfiguredDatabase(config);
  storage::MigrationReport migrations = storage::MigrateToLatest(*db, clock);
  spdlog::info("database schema at version {} ({} migration(s) applied now)",
               migrations.current_version, migrations.applied.size());
  if (!migrations.unknown.empty()) {
    spdlog::warn("the database has {} schema version(s) newer than this binary knows",
                 migrations.unknown.size());
  }
  service::ServiceOptions service_options;
  service_options.jobs = ConfiguredJobStore(config);
  // The recorder's credential towards the recordings routes: configured, or generated into
  // runtime_dir where mgw-recorder on this host reads it (make run works without a file).
  RequireScheme(config, "notifications.recording_webhook_url", {"http://", "https://"});
  service_options.recordings = {
      .lease = std::chrono::seconds(config.GetInt("recorder.lease_seconds")),
      .webhook_url = config.GetString("notifications.recording_webhook_url")};
  try {
    service_options.recordings.recorder_secret = LoadOrCreateSecretFile(
        config.GetSecret("recorder.secret"), config.GetPath("recorder.secret_file", "runtime_dir"));
  } catch (const std::runtime_error& e) {
    // Everything else works without it; only the recorder is turned away (401).
    spdlog::warn("recorder.secret: {}; recordings will not be picked up", e.what());
  }
  service_options.schedules = ConfiguredSchedules(config);
  service_options.rooms = ConfiguredRooms(config);
  service_options.cache = {
      .enabled = config.GetBool("controlplane.cache.enabled"),
      .entries = static_cast<std::size_t>(config.GetInt("controlplane.cache.entries")),
      .max_age = std::chrono::milliseconds(config.GetInt("controlplane.cache.max_age_ms"))};
  // PostgreSQL: the other control planes' writes reach the read caches by NOTIFY mgw_cache; until
  // this LISTENs (and whenever the connection is lost) the caches are bypassed.
  std::unique_ptr<storage::CacheListener> cache_listener;
  if (service_options.cache.enabled &&
      config.GetString("controlplane.database.backend") == "postgresql") {
    cache_listener = std::make_unique<storage::CacheListener>(
        db->invalidation(),
        storage::CacheListener::Options{
            .uri = config.GetSecret("controlplane.database.postgresql_uri").Reveal(),
            .on_state = [](bool up, const std::string& detail) {
              if (up) {
                spdlog::info("read caches: LISTEN {} up; caching", storage::kCacheChannel);
              } else {
                spdlog::warn("read caches: LISTEN {} down, caches bypassed until it is back: {}",
                             storage::kCacheChannel, detail);
              }
            }});
    cache_listener->Start();
  }
  service::Services services(*db, clock, service_options);
  BootstrapAdministrator(config, services.account_store);
  HttpApi api(services);
  api.SetRateLimits({.requests_per_second = static_cast<double>(
                         config.GetInt("controlplane.rate_limit.requests_per_second")),
                     .burst = static_cast<double>(config.GetInt("controlplane.rate_limit.burst"))});
  // The Pexip-compatible management API (/api/admin/...), asked before HttpApi.
  PexipApi pexip(services, ConfiguredPexip(config));
  pexip.SetRateLimiter(api.rate_limiter());

  metrics::Registry registry;
  AddProcessMetrics(registry, "controlplane");
  service::AddCacheMetrics(registry, services.caches, cache_listener.get());
  auto& pin_refusals = registry.AddCounter(
      "mgw_conference_pin_refusals_total",
      "Conference joins refused for a wrong PIN (reason wrong_pin) or a lockout (locked_out).");
  services.rooms.SetRefusalHook([&pin_refusals](std::string_view reason) {
    pin_refusals.WithLabels({{"reason", std::string(reason)}}).Inc();
  });
  AdminEndpoints admin(registry, [&db]() -> ReadyState {
    try {
      db->Query("SELECT 1");
      return {true, ""};
    } catch (const storage::StorageError& e) {
      return {false, fmt::format("database unavailable: {}", e.what())};
    }
  });

  // The durable job runner. Every job kind's handler is registered here, before Start().
  RequireScheme(config, "controlplane.jobs.alert_webhook_url", {"http://", "https://"});
  service::JobRunner job_runner(
      services.job_store,
      {.poll_interval =
           std::chrono::milliseconds(config.GetInt("controlplane.jobs.poll_interval_ms")),
       .alert_webhook_url = config.GetString("controlplane.jobs.alert_webhook_url"),
       .metrics = &registry});
  // ---- job handler registration: add yours below (JobRunner::Register(kind, handler)) ----
  service::RegisterNotificationHandlers(job_runner, ConfiguredNotifications(config));
  service::RegisterRecordingHandlers(job_runner, services.recordings);
  services.schedules.RegisterJobs(job_runner);
  services.schedules.EnsureCleanupScheduled();  // the periodic cleanup re-enqueues itself
  // ---- end of job handler registration ----
  job_runner.Start();
  // The local dataplane: registered as a node, heartbeated, and programmed by signalling.
  const std::string dataplane_socket =
      config.GetPath("controlplane.dataplane_socket", "runtime_dir");
  std::string public_url = config.GetString("controlplane.public_url");
  while (!public_url.empty() && public_url.back() == '/') public_url.pop_back();
  DataplaneLink link(dataplane_socket);
  const std::string node_id = DefaultNodeId(dataplane_socket);
  SignallingServer signalling(services, &link, node_id);
  api.SetMeetingClosedHook(
      [&signalling](const std::string& meeting_id, const std::optional<std::string>& node) {
        signalling.CloseMeeting(meeting_id, node);
      });
  // PostgreSQL: other control planes may hold sockets of the meetings on this node, and this one
  // of meetings on theirs; the relay carries the messages and dataplane calls between them.
  std::unique_ptr<MeetingRelay> relay = StartRelay(config, *db, signalling.handler());
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
  options.tls = tls;
  // The API's routes first; what none of them matches is an admin endpoint or 404.
  InstrumentedHandler handler(
      registry,
      [&api, &pexip](const http::Request& request) -> std::string {
        if (auto route = pexip.RouteOf(request)) return *route;
        if (auto route = api.RouteOf(request)) return *route;
        for (const char* known : {"/healthz", "/readyz", "/metrics"}) {
          if (request.path == known) return known;
        }
        return "unmatched";
      },
      [&api, &pexip, &admin](const http::Request& request) {
        if (auto response = pexip.Handle(request)) return *std::move(response);
        if (auto response = api.Handle(request)) return *std::move(response);
        return admin.HandleOrNotFound(request);
      });
  http::Server server(options, std::ref(handler));
  server.Start();
  spdlog::info("API on {}://{}:{}/ (accounts, meetings, signalling, healthz, readyz, metrics)",
               tls ? "https" : "http", options.address, server.port());
  shutdown.Wait();
  nodes.Stop();
  signalling.CloseAll();
  server.Stop();
  if (relay) relay->Stop();
  job_runner.Stop();  // a job in progress finishes; the database outlives the runner
  return 0;
}

}  // namespace mgw::controlplane
