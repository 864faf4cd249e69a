#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// A small HTTP/1.1 server (Boost.Beast on Asio, kept out of this header) for the daemons' admin
// endpoints and as the base of the control plane's API. Requests are parsed with limits on the
// header block (431) and the body (413); a handler maps a Request to a Response on one of the
// server's threads. Errors are application/problem+json (RFC 9457).
namespace mgw::http {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names lower-case

struct Request {
  std::string method;  // "GET", ...
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoding is the handler's business
  std::string query;   // without '?'
  Headers headers;
  std::string body;
  std::string remote_address;

  std::optional<std::string_view> Header(std::string_view lower_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;

  static Response Text(int status, std::string body);
  static Response Json(int status, std::string body);
  // RFC 9457 problem details; `type` is a stable URI-reference such as "/problems/not-found".
  static Response Problem(int status, std::string_view type, std::string_view title,
                          std::string_view detail = {});
};

// The Request belongs to the connection and is reused for its next request (its strings keep
// their capacity): a handler must not keep references into it after it returns. The Response is
// written as the server formats it: Server and Content-Type first, then `headers` (a later field
// of the same name replaces an earlier one; Content-Length, Transfer-Encoding and Connection are
// the server's, and a field holding a line break is left out); a HEAD request gets the header
// block alone, and 1xx, 204 and 304 neither body nor Content-Length.
using Handler = std::function<Response(const Request&)>;

// A request asking to switch protocols (WebSocket), with the connection it came on; defined in
// mgw/common/http_upgrade.h (which needs Beast) so this header stays free of it.
struct UpgradeRequest;
// Takes over the connection: it now belongs to the callee, which runs it on the server's threads
// and must close it before Server::Stop (Stop waits for every handler on those threads).
using UpgradeHandler = std::function<void(std::unique_ptr<UpgradeRequest>)>;

// Where the server's certificate chain and private key are (PEM files).
struct TlsFiles {
  std::string cert_file;
  std::string key_file;
};

// A TLS file that cannot be used: which one, and why (the message names the file).
class TlsFileError : public std::runtime_error {
 public:
  enum class File { kCertificate, kKey };
  TlsFileError(File file, const std::string& what) : std::runtime_error(what), file_(file) {}
  File file() const { return file_; }

 private:
  File file_;
};

// Loads and checks the files as Server::Start would: readable, PEM, the key matching the
// certificate. Throws TlsFileError otherwise. For start-up checks that should name a config key.
void CheckTlsFiles(const TlsFiles& files);

// X-Request-Id: every response the server writes carries one. A client's id is echoed only when
// it is short and printable (so it cannot inject headers or bloat logs); otherwise a new random
// one (24 hex digits) is made.
bool SaneRequestId(std::string_view id);
std::string NewRequestId();

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port; see Server::port()
  int threads = 1;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  std::string server_name = "mgw";
  // When set: HTTPS only (TLS 1.2 or later), WebSocket upgrades included; a plain HTTP request to
  // the port is answered 400 in plain HTTP and the connection closed.
  std::optional<TlsFiles> tls;
  // When set, a WebSocket upgrade request goes here instead of to the handler.
  UpgradeHandler upgrade;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving. Throws std::runtime_error naming the address when it cannot bind,
  // TlsFileError when the TLS files cannot be used.
  void Start();
  // Closes the listener and every connection, and joins the threads. Idempotent.
  void Stop();
  uint16_t port() const;

  struct Impl;  // http_server.cc

 private:
  std::unique_ptr<Impl> impl_;
};

std::string_view ReasonPhrase(int status);

}  // namespace mgw::http
