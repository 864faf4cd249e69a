#include "api_commands.h"

#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>

#include "api_client.h"

namespace mgwctl {
namespace {

namespace json = boost::json;

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
  std::ostream& out = ok ? std::cout : std::cerr;
  if (response.body.empty()) {
    if (!json_output) out << (ok ? "ok" : "HTTP " + std::to_string(response.status)) << "\n";
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
