#include "signalling_command.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "api_client.h"

namespace mgwctl {
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;

void AddSignallingCommand(CLI::App& api, SignallingOptions& options) {
  auto* cmd =
      api.add_subcommand("signalling", "GET /signalling: WebSocket signalling for a meeting");
  cmd->add_option("meeting_id", options.meeting_id)->required();
  cmd->add_flag("!--no-join", options.join, "Do not send JOIN first");
  cmd->add_option("--encryption", options.encryption, "srtp or none")
      ->check(CLI::IsMember({"srtp", "none"}));
  cmd->add_option("--rtx-payload-type", options.rtx_payload_type,
                  "Announce RFC 4588 retransmission with this payload type in JOIN")
      ->check(CLI::Range(0, 127));
  cmd->add_option("--send", options.send, "A JSON message to send after JOIN (repeatable)");
  cmd->add_option("--wait", options.wait_seconds, "Seconds to wait for the next message")
      ->default_val(5);
  cmd->add_option("--ca", options.ca_file,
                  "wss://: a PEM file of CA certificates to trust instead of the system's");
  cmd->add_flag("--insecure", options.insecure,
                "wss://: do not check the server's certificate (tests, labs)");
  cmd->callback([&options] { options.requested = true; });
}

namespace {

// The session once the socket is open (plain or TLS): the upgrade, JOIN and --send, then every
// message as one JSON line until the server closes or --wait passes without one.
template <class Stream>
int Converse(asio::io_context& io, Stream& ws, const ApiTarget& target, const std::string& token,
             const SignallingOptions& options) {
  try {
    ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
      if (!token.empty()) request.set(beast::http::field::authorization, "Bearer " + token);
    }));
    websocket::response_type response;
    beast::error_code ec;
    ws.handshake(response, target.host + ":" + target.port, target.base_path + "/signalling", ec);
    if (ec) {
      std::cerr << "mgwctl: signalling: the upgrade was refused: HTTP " << response.result_int()
                << " " << response.body() << "\n";
      return 69;
    }
    ws.text(true);
    if (options.join) {
      boost::json::object join{{"content_type", "JOIN"},
                               {"meeting_id", options.meeting_id},
                               {"encryption", options.encryption}};
      if (options.rtx_payload_type) join["rtx_payload_type"] = *options.rtx_payload_type;
      ws.write(asio::buffer(boost::json::serialize(join)));
    }
    for (const std::string& text : options.send) ws.write(asio::buffer(text));
  } catch (const std::exception& e) {
    std::cerr << "mgwctl: signalling: " << e.what() << "\n";
    return 69;
  }
  // Each read runs for at most --wait (asynchronously: a blocking read takes no deadline).
  for (;;) {
    beast::flat_buffer buffer;
    std::optional<beast::error_code> result;
    ws.async_read(buffer, [&result](beast::error_code ec, std::size_t) { result = ec; });
    io.restart();
    io.run_for(std::chrono::seconds(options.wait_seconds));
    if (!result || *result) break;  // nothing within --wait, or the server closed the socket
    std::cout << beast::buffers_to_string(buffer.data()) << "\n" << std::flush;
  }
  return 0;
}

}  // namespace

int RunSignalling(const ApiOptions& api, const SignallingOptions& options) {
  std::string url = api.url;
  if (url.empty() && std::getenv("MGW_URL")) url = std::getenv("MGW_URL");
  if (url.empty()) url = "http://127.0.0.1:8080";
  std::string token = api.token;
  if (token.empty() && std::getenv("MGW_TOKEN")) token = std::getenv("MGW_TOKEN");
  ApiTarget target;
  try {
    target = ParseApiUrl(url);
    if (!target.tls && (!options.ca_file.empty() || options.insecure)) {
      throw std::invalid_argument("--ca and --insecure apply to https:// (wss://) URLs only");
    }
  } catch (const std::exception& e) {
    std::cerr << "mgwctl: " << e.what() << "\n";
    return 64;
  }
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  if (!target.tls) {
    websocket::stream<asio::ip::tcp::socket> ws(io);
    try {
      asio::connect(ws.next_layer(), resolver.resolve(target.host, target.port));
    } catch (const std::exception& e) {
      std::cerr << "mgwctl: signalling: " << e.what() << "\n";
      return 69;
    }
    return Converse(io, ws, target, token, options);
  }
  // wss://: the system's CAs (or SSL_CERT_FILE), or --ca; the host name checked, SNI sent.
  asio::ssl::context context(asio::ssl::context::tls_client);
  try {
    if (!options.ca_file.empty()) {
      context.load_verify_file(options.ca_file);
    } else {
      context.set_default_verify_paths();
    }
  } catch (const std::exception& e) {
    std::cerr << "mgwctl: --ca " << options.ca_file << ": not a readable PEM file of certificates ("
              << e.what() << ")\n";
    return 64;
  }
  context.set_verify_mode(options.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer);
  websocket::stream<beast::ssl_stream<asio::ip::tcp::socket>> ws(io, context);
  try {
    asio::connect(beast::get_lowest_layer(ws), resolver.resolve(target.host, target.port));
    if (!options.insecure) {
      ws.next_layer().set_verify_callback(asio::ssl::host_name_verification(target.host));
    }
    SSL_set_tlsext_host_name(ws.next_layer().native_handle(), target.host.c_str());
    ws.next_layer().handshake(asio::ssl::stream_base::client);
  } catch (const boost::system::system_error& e) {
    std::cerr << "mgwctl: signalling: cannot reach " << target.host << ":" << target.port
              << " over TLS: " << e.code().message() << "\n";
    return 69;
  }
  return Converse(io, ws, target, token, options);
}

}  // namespace mgwctl
