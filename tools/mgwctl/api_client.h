#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mgwctl {

// One blocking HTTP/1.1 request to mgw-controlplane, over HTTPS for an https:// URL (the server's
// certificate is checked against the system's CAs; SSL_CERT_FILE names another bundle).
struct ApiResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string location;  // the Location header, when sent (Pexip's POST answers only with it)
};

struct ApiTarget {
  std::string host;
  std::string port;
  std::string base_path;  // "" or "/prefix" when the API sits behind a proxy path
  bool tls = false;       // https://
};

// Parses http[s]://host[:port][/path]; throws std::invalid_argument otherwise.
ApiTarget ParseApiUrl(const std::string& url);

// Throws std::runtime_error when the server cannot be reached.
ApiResponse CallApi(const ApiTarget& target, const std::string& method, const std::string& path,
                    const std::string& body, const std::optional<std::string>& token,
                    const std::optional<std::string>& idempotency_key);

}  // namespace mgwctl
