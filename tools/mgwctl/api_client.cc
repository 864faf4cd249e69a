#include "api_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>

namespace mgwctl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

ApiTarget ParseApiUrl(const std::string& url) {
  const bool tls = url.rfind("https://", 0) == 0;
  if (!tls && url.rfind("http://", 0) != 0) {
    throw std::invalid_argument("--url must start with http:// or https://");
  }
  std::string rest = url.substr(tls ? 8 : 7);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  ApiTarget target;
  target.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!target.base_path.empty() && target.base_path.back() == '/') target.base_path.pop_back();
  size_t colon = authority.rfind(':');
  target.host = authority.substr(0, colon);
  target.port = colon == std::string::npos ? (tls ? "443" : "80") : authority.substr(colon + 1);
  target.tls = tls;
  if (target.host.empty()) throw std::invalid_argument("--url has no host");
  return target;
}

ApiResponse CallApi(const ApiTarget& target, const std::string& method, const std::string& path,
                    const std::string& body, const std::optional<std::string>& token,
                    const std::optional<std::string>& idempotency_key) {
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(resolver.resolve(target.host, target.port));
    // Over TLS: the system's CAs (or SSL_CERT_FILE), the host name checked, SNI sent.
    asio::ssl::context context(asio::ssl::context::tls_client);
    std::optional<beast::ssl_stream<beast::tcp_stream&>> tls;
    if (target.tls) {
      context.set_default_verify_paths();
      context.set_verify_mode(asio::ssl::verify_peer);
      tls.emplace(stream, context);
      tls->set_verify_callback(asio::ssl::host_name_verification(target.host));
      SSL_set_tlsext_host_name(tls->native_handle(), target.host.c_str());
      tls->handshake(asio::ssl::stream_base::client);
    }
    bhttp::request<bhttp::string_body> request(bhttp::string_to_verb(method),
                                               target.base_path + path, 11);
    request.set(bhttp::field::host, target.host);
    request.set(bhttp::field::user_agent, "mgwctl");
    if (token) request.set(bhttp::field::authorization, "Bearer " + *token);
    if (idempotency_key) request.set("Idempotency-Key", *idempotency_key);
    if (!body.empty()) request.set(bhttp::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    if (tls) {
      bhttp::write(*tls, request);
      bhttp::read(*tls, buffer, response);
    } else {
      bhttp::write(stream, request);
      bhttp::read(stream, buffer, response);
    }
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return {static_cast<int>(response.result_int()),
            std::string(response[bhttp::field::content_type]), response.body(),
            std::string(response[bhttp::field::location])};
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot reach " + target.host + ":" + target.port + ": " +
                             e.code().message());
  }
}

}  // namespace mgwctl
