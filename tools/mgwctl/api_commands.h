#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace mgwctl {

// `mgwctl api ...`: one subcommand per route of api/openapi.yaml, each turning its arguments into
// one HTTP request. Parsing fills `pending`; RunApiRequest sends it.
struct ApiRequest {
  std::string method;
  std::string path;  // with the query
  std::string body;
};

struct ApiOptions {
  std::string url;    // --url, else MGW_URL, else http://127.0.0.1:8080
  std::string token;  // --token, else MGW_TOKEN
  std::string idempotency_key;
  std::optional<ApiRequest> pending;
};

void AddApiCommands(CLI::App& app, ApiOptions& options);

// Sends the request; prints the body (raw with --json, indented otherwise) to stdout, or the
// problem to stderr. Exit status: 0 for 2xx, 1 refused (4xx/5xx), 69 unreachable, 64 bad --url.
int RunApiRequest(const ApiOptions& options, bool json_output);

}  // namespace mgwctl
