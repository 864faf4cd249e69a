#include "signalling_command.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
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
  cmd->add_option("--send", options.send, "A JSON message to send after JOIN (repeatable)");
  cmd->add_option("--wait", options.wait_seconds, "Seconds to wait for the next message")
      ->default_val(5);
  cmd->callback([&options] { options.requested = true; });
}

int RunSignalling(const ApiOptions& api, const SignallingOptions& options) {
  std::string url = api.url;
  if (url.empty() && std::getenv("MGW_URL")) url = std::getenv("MGW_URL");
  if (url.empty()) url = "http://127.0.0.1:8080";
  std::string token = api.token;
  if (token.empty() && std::getenv("MGW_TOKEN")) token = std::getenv("MGW_TOKEN");
  ApiTarget target;
  try {
    target = ParseApiUrl(url);
    if (target.tls) throw std::invalid_argument("signalling speaks ws:// only (wss:// not yet)");
  } catch (const std::exception& e) {
    std::cerr << "mgwctl: " << e.what() << "\n";
    return 64;
  }
  asio::io_context io;
  websocket::stream<asio::ip::tcp::socket> ws(io);
  try {
    asio::ip::tcp::resolver resolver(io);
    asio::connect(ws.next_layer(), resolver.resolve(target.host, target.port));
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
      ws.write(asio::buffer(
          boost::json::serialize(boost::json::object{{"content_type", "JOIN"},
                                                     {"meeting_id", options.meeting_id},
                                                     {"encryption", options.encryption}})));
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

}  // namespace mgwctl
