#include "api_commands.h"

#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <tuple>
#include <utility>
#include <vector>

#include "api_client.h"

namespace mgwctl {
namespace {

namespace json = boost::json;

// A query value, percent-encoded (unreserved characters stay).
std::string QueryValue(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// A JSON object given on the command line, or a usage error.
std::string JsonObjectArgument(const std::string& text, const char* name) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) throw CLI::ValidationError(name, "expected a JSON object");
  return json::serialize(value);
}

std::string PageQuery(int limit, int offset, const std::string& extra = "") {
  std::string query = "?limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
  return query + extra;
}

void Indent(std::ostream& os, const json::value& v, const std::string& indent = "") {
  if (v.is_object() && !v.as_object().empty()) {
    os << "{\n";
    size_t i = 0;
    for (const auto& [key, value] : v.as_object()) {
      os << indent << "  " << json::serialize(json::string(key)) << ": ";
      Indent(os, value, indent + "  ");
      os << (++i < v.as_object().size() ? ",\n" : "\n");
    }
    os << indent << "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    os << "[\n";
    for (size_t i = 0; i < v.as_array().size(); ++i) {
      os << indent << "  ";
      Indent(os, v.as_array()[i], indent + "  ");
      os << (i + 1 < v.as_array().size() ? ",\n" : "\n");
    }
    os << indent << "]";
  } else {
    os << json::serialize(v);
  }
}

}  // namespace

void AddApiCommands(CLI::App& app, ApiOptions& options) {
  auto* api = app.add_subcommand("api", "Call mgw-controlplane's HTTP API (api/openapi.yaml)");
  api->require_subcommand(1);
  // Options may follow the subcommand (`mgwctl api meeting-get ID --json --url ...`): what a
  // subcommand does not know falls through to `api`, then to mgwctl (subcommands inherit this).
  api->fallthrough();
  api->add_option("--url", options.url,
                  "API base URL (default: MGW_URL, else http://127.0.0.1:8080)");
  api->add_option("--token", options.token, "Bearer token or API key (default: MGW_TOKEN)");
  api->add_option("--idempotency-key", options.idempotency_key,
                  "Idempotency-Key for a POST: a retry replays the first response");
  auto set = [&options](std::string method, std::string path, std::string body = "") {
    options.pending = ApiRequest{std::move(method), std::move(path), std::move(body)};
  };
  // Shared argument storage: CLI11 parses one subcommand per run.
  static std::string email, password, id, name, scope = "read", title, display_name, role;
  static int limit = 50, offset = 0;
  static int64_t expires_in = 0, account_id = 0;
  auto paged = [&](CLI::App* cmd) {
    cmd->add_option("--limit", limit, "Page size (1-200)");
    cmd->add_option("--offset", offset, "Items to skip");
  };

  auto* signup = api->add_subcommand("signup", "POST /account: create an account");
  signup->add_option("email", email)->required();
  signup->add_option("password", password)->required();
  signup->add_option("--role", role, "admin needs an administrator's --token");
  signup->callback([&, set] {
    json::object body{{"email", email}, {"password", password}};
    if (!role.empty()) body["role"] = role;
    set("POST", "/account", json::serialize(body));
  });
  auto* login = api->add_subcommand("login", "POST /account/login: print a bearer token");
  login->add_option("email", email)->required();
  login->add_option("password", password)->required();
  login->add_option("--expires-in", expires_in, "Token lifetime in seconds");
  login->callback([&, set] {
    json::object body{{"email", email}, {"password", password}};
    if (expires_in > 0) body["expires_in"] = expires_in;
    set("POST", "/account/login", json::serialize(body));
  });
  api->add_subcommand("me", "GET /account")->callback([set] { set("GET", "/account"); });
  api->add_subcommand("delete-account", "DELETE /account: delete your account")->callback([set] {
    set("DELETE", "/account");
  });
  auto* tokens = api->add_subcommand("tokens", "GET /account/tokens");
  paged(tokens);
  tokens->callback([&, set] { set("GET", "/account/tokens" + PageQuery(limit, offset)); });
  auto* revoke_token = api->add_subcommand("revoke-token", "DELETE /account/tokens/{token_id}");
  revoke_token->add_option("token_id", id)->required();
  revoke_token->callback([&, set] { set("DELETE", "/account/tokens/" + id); });

  auto* key_create = api->add_subcommand("key-create", "POST /account/api-keys");
  key_create->add_option("name", name)->required();
  key_create->add_option("--scope", scope, "read, write or admin")->default_val("read");
  key_create->add_option("--account", account_id, "Another account (administrators)");
  key_create->add_option("--expires-in", expires_in, "Lifetime in seconds (default: none)");
  key_create->callback([&, set] {
    json::object body{{"name", name}, {"scope", scope}};
    if (account_id > 0) body["account_id"] = account_id;
    if (expires_in > 0) body["expires_in"] = expires_in;
    set("POST", "/account/api-keys", json::serialize(body));
  });
  auto* keys = api->add_subcommand("keys", "GET /account/api-keys");
  keys->add_option("--account", account_id, "Another account (administrators)");
  paged(keys);
  keys->callback([&, set] {
    std::string extra = account_id > 0 ? "&account_id=" + std::to_string(account_id) : "";
    set("GET", "/account/api-keys" + PageQuery(limit, offset, extra));
  });
  auto* key_revoke = api->add_subcommand("key-revoke", "DELETE /account/api-keys/{key_id}");
  key_revoke->add_option("key_id", id)->required();
  key_revoke->callback([&, set] { set("DELETE", "/account/api-keys/" + id); });

  auto* create = api->add_subcommand("meeting-create", "POST /meeting: host a new meeting");
  create->add_option("--title", title);
  create->callback([&, set] {
    set("POST", "/meeting", json::serialize(json::object{{"title", title}}));
  });
  auto* meetings = api->add_subcommand("meetings", "GET /meeting");
  paged(meetings);
  meetings->callback([&, set] { set("GET", "/meeting" + PageQuery(limit, offset)); });
  auto by_id = [&](const char* command, const char* help, const char* method, std::string prefix) {
    auto* cmd = api->add_subcommand(command, help);
    cmd->add_option("meeting_id", id)->required();
    cmd->callback([&, set, method, prefix] { set(method, prefix + id); });
    return cmd;
  };
  by_id("meeting-get", "GET /meeting/{meeting_id}", "GET", "/meeting/");
  by_id("meeting-delete", "DELETE /meeting/{meeting_id}", "DELETE", "/meeting/");
  by_id("meeting-end", "POST /meeting/end/{meeting_id} (host only)", "POST", "/meeting/end/");
  by_id("meeting-record", "POST /meeting/record/{meeting_id}", "POST", "/meeting/record/");
  auto* recipients =
      api->add_subcommand("recipients", "GET /meeting/record/recipients/{meeting_id}");
  recipients->add_option("meeting_id", id)->required();
  paged(recipients);
  recipients->callback(
      [&, set] { set("GET", "/meeting/record/recipients/" + id + PageQuery(limit, offset)); });
  auto* join = api->add_subcommand("meeting-join", "POST /meeting/join");
  join->add_option("meeting_id", id)->required();
  join->add_option("--display-name", display_name);
  join->callback([&, set] {
    json::object body{{"meeting_id", id}};
    if (!display_name.empty()) body["display_name"] = display_name;
    set("POST", "/meeting/join", json::serialize(body));
  });
  auto* leave = api->add_subcommand("meeting-leave", "POST /meeting/leave");
  leave->add_option("meeting_id", id)->required();
  leave->callback([&, set] {
    set("POST", "/meeting/leave", json::serialize(json::object{{"meeting_id", id}}));
  });

  // The Pexip-compatible management API: mgwctl api conference list|get|create|update|delete|bulk
  // and mgwctl api conference-alias list|get|create|update|delete. They authenticate with --token
  // / MGW_TOKEN (an administrator's token or API key).
  static std::string pexip_fields, filter_name, filter_tag, filter_prefix, filter_contains,
      filter_alias, filter_conference;
  struct PexipFilter {
    const char* option;
    const char* parameter;
    std::string* value;
    const char* help;
  };
  // list, get, create, update and delete of one Pexip resource; returns the resource's command.
  auto pexip_resource = [&, set](const char* command, const char* help, const std::string& path,
                                 const std::string& id_name, std::vector<PexipFilter> filters) {
    auto* resource = api->add_subcommand(command, help);
    resource->require_subcommand(1);
    const std::string detail = path + "{" + id_name + "}/";
    auto* all = resource->add_subcommand("list", "GET " + path);
    for (const PexipFilter& filter : filters)
      all->add_option(filter.option, *filter.value, filter.help);
    paged(all);
    all->callback([&, set, all, path, filters] {
      std::string query = "?limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
      for (const PexipFilter& filter : filters) {
        if (all->count(filter.option) > 0) {
          query += std::string("&") + filter.parameter + "=" + QueryValue(*filter.value);
        }
      }
      set("GET", path + query);
    });
    auto* one = resource->add_subcommand("get", "GET " + detail);
    one->add_option(id_name, id)->required();
    one->callback([&, set, path] { set("GET", path + id + "/"); });
    auto* make = resource->add_subcommand("create", "POST " + path + ": prints the new URL");
    make->add_option("fields", pexip_fields, "Pexip's fields as a JSON object")->required();
    make->callback(
        [&, set, path] { set("POST", path, JsonObjectArgument(pexip_fields, "fields")); });
    auto* update = resource->add_subcommand("update", "PATCH " + detail + ": the given fields");
    update->add_option(id_name, id)->required();
    update->add_option("fields", pexip_fields, "The fields to change, as a JSON object")
        ->required();
    update->callback([&, set, path] {
      set("PATCH", path + id + "/", JsonObjectArgument(pexip_fields, "fields"));
    });
    auto* remove = resource->add_subcommand("delete", "DELETE " + detail);
    remove->add_option(id_name, id)->required();
    remove->callback([&, set, path] { set("DELETE", path + id + "/"); });
    return resource;
  };
  static const std::string kConferencePath = "/api/admin/configuration/v1/conference/";
  auto* conference = pexip_resource(
      "conference",
      R"(Pexip-compatible conferences (VMRs), e.g. create '{"name": "VMR_1", "pin": "1234"}')",
      kConferencePath, "conference_id",
      {{"--name", "name", &filter_name, "Exactly this name"},
       {"--tag", "tag", &filter_tag, "Exactly this tag"},
       {"--name-startswith", "name__startswith", &filter_prefix, "Names starting with this"},
       {"--name-icontains", "name__icontains", &filter_contains,
        "Names containing this, ignoring case"}});
  auto* conference_bulk = conference->add_subcommand(
      "bulk", "PATCH " + kConferencePath + ": create and update several, all or nothing");
  conference_bulk
      ->add_option("objects", pexip_fields,
                   "A JSON array of conferences; those with resource_uri are updated")
      ->required();
  conference_bulk->callback([&, set] {
    boost::system::error_code ec;
    json::value objects = json::parse(pexip_fields, ec);
    if (ec || !objects.is_array()) {
      throw CLI::ValidationError("objects", "expected a JSON array");
    }
    set("PATCH", kConferencePath, json::serialize(json::object{{"objects", objects}}));
  });
  pexip_resource(
      "conference-alias", "Pexip-compatible conference aliases",
      "/api/admin/configuration/v1/conference_alias/", "alias_id",
      {{"--alias", "alias", &filter_alias, "Exactly this alias"},
       {"--conference", "conference", &filter_conference, "A conference's id or resource URI"}});

  // Pexip's status API (read only): mgwctl api conference-status list|get and
  // mgwctl api participant-status list|get.
  static std::string status_name, status_conference;
  struct StatusResource {
    const char* command;
    const char* help;
    std::string path;
    const char* id_name;
    const char* filter_option;
    const char* filter_parameter;
    std::string* filter_value;
    const char* filter_help;
  };
  for (const StatusResource& resource :
       {StatusResource{"conference-status", "Running conferences (Pexip's status API)",
                       "/api/admin/status/v1/conference/", "conference_status_id", "--name", "name",
                       &status_name, "Exactly this conference name"},
        StatusResource{"participant-status", "Connected participants (Pexip's status API)",
                       "/api/admin/status/v1/participant/", "participant_status_id", "--conference",
                       "conference", &status_conference, "Only this conference's (by name)"}}) {
    auto* command = api->add_subcommand(resource.command, resource.help);
    command->require_subcommand(1);
    auto* all = command->add_subcommand("list", "GET " + resource.path);
    all->add_option(resource.filter_option, *resource.filter_value, resource.filter_help);
    paged(all);
    all->callback([&, set, all, resource] {
      std::string query = "?limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
      if (all->count(resource.filter_option) > 0) {
        query +=
            std::string("&") + resource.filter_parameter + "=" + QueryValue(*resource.filter_value);
      }
      set("GET", resource.path + query);
    });
    auto* one =
        command->add_subcommand("get", "GET " + resource.path + "{" + resource.id_name + "}/");
    one->add_option(resource.id_name, id)->required();
    one->callback([&, set, resource] { set("GET", resource.path + id + "/"); });
  }

  // Operations routes (no token needed). /metrics is Prometheus text, printed as it comes.
  api->add_subcommand("healthz", "GET /healthz: is the process serving")->callback([set] {
    set("GET", "/healthz");
  });
  api->add_subcommand("readyz", "GET /readyz: can it serve requests (database reachable)")
      ->callback([set] { set("GET", "/readyz"); });
  api->add_subcommand("metrics", "GET /metrics: Prometheus text format")->callback([set] {
    set("GET", "/metrics");
  });

  // Durable jobs (administrators): mgwctl api jobs list|get|retry.
  static std::string job_state, job_kind;
  static int64_t after_id = 0;
  auto* jobs = api->add_subcommand("jobs", "Durable jobs: list, get, retry (administrators)");
  jobs->require_subcommand(1);
  auto* jobs_list = jobs->add_subcommand("list", "GET /jobs");
  jobs_list->add_option("--state", job_state, "pending, running, done or dead");
  jobs_list->add_option("--kind", job_kind, "e.g. webhook.deliver, email.send");
  jobs_list->add_option("--after-id", after_id, "Only jobs with a larger id");
  paged(jobs_list);
  jobs_list->callback([&, set] {
    std::string extra;
    if (!job_state.empty()) extra += "&state=" + job_state;
    if (!job_kind.empty()) extra += "&kind=" + job_kind;
    if (after_id > 0) extra += "&after_id=" + std::to_string(after_id);
    set("GET", "/jobs" + PageQuery(limit, offset, extra));
  });
  auto* job_get = jobs->add_subcommand("get", "GET /jobs/{job_id}");
  job_get->add_option("job_id", id)->required();
  job_get->callback([&, set] { set("GET", "/jobs/" + id); });
  auto* job_retry =
      jobs->add_subcommand("retry", "POST /jobs/{job_id}/retry: run a dead job again now");
  job_retry->add_option("job_id", id)->required();
  job_retry->callback([&, set] { set("POST", "/jobs/" + id + "/retry"); });

  // Recordings: list|get (administrators); claim|progress|fail act as a recorder and take the
  // recorder secret as --token (what mgw-recorder does; useful to inspect or unblock the queue).
  static std::string recorder_name = "mgwctl", recording_state = "recording", error_text;
  static int64_t before = 0, claims = 0;
  auto* recordings =
      api->add_subcommand("recordings", "Recordings: list, get, claim, progress, fail");
  recordings->require_subcommand(1);
  auto* recordings_list = recordings->add_subcommand("list", "GET /recordings (newest first)");
  recordings_list->add_option("--limit", limit, "Page size (1-200)");
  recordings_list->add_option("--before", before, "Only recordings with a smaller id");
  recordings_list->callback([&, set] {
    std::string query = "?limit=" + std::to_string(limit);
    if (before > 0) query += "&before=" + std::to_string(before);
    set("GET", "/recordings" + query);
  });
  auto* recording_get = recordings->add_subcommand("get", "GET /recordings/{recording_id}");
  recording_get->add_option("recording_id", id)->required();
  recording_get->callback([&, set] { set("GET", "/recordings/" + id); });
  auto* recording_claim =
      recordings->add_subcommand("claim", "POST /recordings/claim (recorder secret)");
  recording_claim->add_option("--recorder", recorder_name, "The recorder's name");
  recording_claim->callback([&, set] {
    set("POST", "/recordings/claim", json::serialize(json::object{{"recorder", recorder_name}}));
  });
  auto* recording_progress = recordings->add_subcommand(
      "progress", "POST /recordings/{recording_id}/progress (recorder secret)");
  recording_progress->add_option("recording_id", id)->required();
  recording_progress->add_option("--claims", claims, "The claim, as claimed")->required();
  recording_progress->add_option("--state", recording_state, "recording or uploading");
  recording_progress->callback([&, set] {
    set("POST", "/recordings/" + id + "/progress",
        json::serialize(json::object{{"claims", claims}, {"state", recording_state}}));
  });
  static std::string location, link, sha256, manifest = "{}";
  static int64_t size_bytes = 0, duration_ms = 0;
  auto* recording_complete = recordings->add_subcommand(
      "complete", "POST /recordings/{recording_id}/complete (recorder secret)");
  recording_complete->add_option("recording_id", id)->required();
  recording_complete->add_option("--claims", claims, "The claim, as claimed")->required();
  recording_complete->add_option("--location", location, "s3://bucket/key or file:///path")
      ->required();
  recording_complete->add_option("--link", link, "The (presigned) download URL")->required();
  recording_complete->add_option("--sha256", sha256, "Hex SHA-256 of the file")->required();
  recording_complete->add_option("--size-bytes", size_bytes, "File size")->required();
  recording_complete->add_option("--duration-ms", duration_ms, "Duration")->required();
  recording_complete->add_option("--manifest", manifest, "The manifest JSON object, as text");
  static std::string segments;
  recording_complete->add_option(
      "--segments", segments,
      "Every file, as a JSON array of {file_name, location, link, sha256, size_bytes, "
      "duration_ms}");
  recording_complete->callback([&, set] {
    json::object body{
        {"claims", claims},    {"location", location},     {"link", link},
        {"sha256", sha256},    {"size_bytes", size_bytes}, {"duration_ms", duration_ms},
        {"manifest", manifest}};
    if (!segments.empty()) {
      boost::system::error_code ec;
      json::value list = json::parse(segments, ec);
      if (ec || !list.is_array()) throw CLI::ValidationError("--segments", "not a JSON array");
      body["segments"] = std::move(list);
    }
    set("POST", "/recordings/" + id + "/complete", json::serialize(body));
  });
  auto* recording_fail =
      recordings->add_subcommand("fail", "POST /recordings/{recording_id}/fail (recorder secret)");
  recording_fail->add_option("recording_id", id)->required();
  recording_fail->add_option("--claims", claims, "The claim, as claimed")->required();
  recording_fail->add_option("--error", error_text, "Why")->required();
  recording_fail->callback([&, set] {
    set("POST", "/recordings/" + id + "/fail",
        json::serialize(json::object{{"claims", claims}, {"error", error_text}}));
  });

  // Scheduled conferences: mgwctl api schedule create|list|get|update|cancel.
  static std::string starts_at, ends_at;
  static int64_t duration = 0;
  static std::vector<std::string> hosts, guests, email_changes;
  auto* schedule =
      api->add_subcommand("schedule", "Scheduled conferences: create, list, get, update, cancel");
  schedule->require_subcommand(1);
  auto participants = [](json::array& out) {
    for (const auto& [list, kind] : {std::pair{&hosts, "host"}, std::pair{&guests, "guest"}}) {
      for (const std::string& address : *list) {
        out.push_back(json::object{{"email", address}, {"role", kind}});
      }
    }
  };
  auto times = [](CLI::App* cmd) {
    cmd->add_option("--starts-at", starts_at, "RFC 3339, e.g. 2030-03-17T09:00:00Z");
    cmd->add_option("--ends-at", ends_at, "RFC 3339 (or --duration)");
    cmd->add_option("--duration", duration, "Seconds (or --ends-at)");
  };
  auto put_times = [](json::object& body) {
    if (!starts_at.empty()) body["starts_at"] = starts_at;
    if (!ends_at.empty()) body["ends_at"] = ends_at;
    if (duration > 0) body["duration"] = duration;
  };
  auto* schedule_create = schedule->add_subcommand("create", "POST /schedule");
  schedule_create->add_option("--title", title);
  times(schedule_create);
  schedule_create->add_option("--host", hosts, "A host's email (repeatable)");
  schedule_create->add_option("--guest", guests, "A guest's email (repeatable)");
  schedule_create->callback([&, set, participants, put_times] {
    json::object body{{"title", title}};
    put_times(body);
    json::array list;
    participants(list);
    body["participants"] = std::move(list);
    set("POST", "/schedule", json::serialize(body));
  });
  auto* schedule_list = schedule->add_subcommand("list", "GET /schedule");
  paged(schedule_list);
  schedule_list->callback([&, set] { set("GET", "/schedule" + PageQuery(limit, offset)); });
  auto* schedule_get = schedule->add_subcommand("get", "GET /schedule/{schedule_id}");
  schedule_get->add_option("schedule_id", id)->required();
  schedule_get->callback([&, set] { set("GET", "/schedule/" + id); });
  auto* schedule_update = schedule->add_subcommand(
      "update", "PATCH /schedule/{schedule_id}: title, time, emails, new participants");
  schedule_update->add_option("schedule_id", id)->required();
  schedule_update->add_option("--title", title);
  times(schedule_update);
  schedule_update->add_option("--email", email_changes,
                              "PARTICIPANT_ID=NEW_EMAIL (repeatable): re-invites that one");
  schedule_update->add_option("--add-host", hosts, "Add a host (repeatable)");
  schedule_update->add_option("--add-guest", guests, "Add a guest (repeatable)");
  schedule_update->callback([&, set, participants, put_times, schedule_update] {
    json::object body;
    if (schedule_update->count("--title") > 0) body["title"] = title;
    put_times(body);
    json::array list;
    for (const std::string& change : email_changes) {
      const size_t eq = change.find('=');
      if (eq == std::string::npos) throw CLI::ValidationError("--email", "expected ID=EMAIL");
      list.push_back(
          json::object{{"id", std::stoll(change.substr(0, eq))}, {"email", change.substr(eq + 1)}});
    }
    participants(list);
    if (!list.empty()) body["participants"] = std::move(list);
    set("PATCH", "/schedule/" + id, json::serialize(body));
  });
  auto* schedule_cancel =
      schedule->add_subcommand("cancel", "POST /schedule/{schedule_id}/cancel: notifies everyone");
  schedule_cancel->add_option("schedule_id", id)->required();
  schedule_cancel->callback([&, set] { set("POST", "/schedule/" + id + "/cancel"); });
}

int RunApiRequest(const ApiOptions& options, bool json_output) {
  std::string url = options.url;
  if (url.empty() && std::getenv("MGW_URL")) url = std::getenv("MGW_URL");
  if (url.empty()) url = "http://127.0.0.1:8080";
  std::optional<std::string> token;
  if (!options.token.empty()) {
    token = options.token;
  } else if (const char* env = std::getenv("MGW_TOKEN"); env && *env) {
    token = env;
  }
  std::optional<std::string> key;
  if (!options.idempotency_key.empty()) key = options.idempotency_key;
  ApiTarget target;
  try {
    target = ParseApiUrl(url);
  } catch (const std::exception& e) {
    std::cerr << "mgwctl: " << e.what() << "\n";
    return 64;
  }
  ApiResponse response;
  try {
    response = CallApi(target, options.pending->method, options.pending->path,
                       options.pending->body, token, key);
  } catch (const std::exception& e) {
    std::cerr << "mgwctl: " << e.what() << "\n";
    return 69;
  }
  const bool ok = response.status >= 200 && response.status < 300;
  // With --json the body always goes to stdout, a refusal's problem+json too (scripts read its
  // `type` there, as with `mgwctl --json dataplane`); the exit status and stderr say it failed.
  std::ostream& out = ok || json_output ? std::cout : std::cerr;
  if (!ok && json_output) std::cerr << "mgwctl: HTTP " << response.status << "\n";
  if (response.body.empty()) {
    if (!json_output) out << (ok ? "ok" : "HTTP " + std::to_string(response.status)) << "\n";
    if (!response.location.empty()) out << response.location << "\n";
  } else if (json_output) {
    out << response.body << "\n";
  } else {
    boost::system::error_code ec;
    json::value value = json::parse(response.body, ec);
    if (ec) {
      out << response.body << "\n";
    } else {
      Indent(out, value);
      out << "\n";
    }
  }
  return ok ? 0 : 1;
}

}  // namespace mgwctl
