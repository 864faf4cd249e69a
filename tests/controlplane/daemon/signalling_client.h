#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace mgw::testing {

// A participant's WebSocket signalling connection to mgw-controlplane (Boost.Beast, blocking, over
// a real TCP connection). Reads wait at most a deadline (an asynchronous read run for that long),
// never a fixed sleep. Beast answers the server's pings while a read is in progress.
class SignallingClient {
 public:
  // Connects to ws://127.0.0.1:port/signalling, with `Authorization: Bearer token` when given.
  // Every message received is appended to `record_file` (one JSON line each) when one is named,
  // for checking against api/signalling/. Throws boost::system::system_error when the upgrade
  // is refused.
  SignallingClient(uint16_t port, const std::optional<std::string>& token,
                   const std::string& record_file = {});

  void Send(const boost::json::object& message);
  void SendText(const std::string& text);
  // The next message; nullopt when the server closed the socket (see close_code()) or nothing
  // came within `timeout`.
  std::optional<boost::json::object> Next(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The next message of `content_type`, skipping others; fails the test (and returns an empty
  // object) when none comes.
  boost::json::object Expect(std::string_view content_type);
  // True when the server closes the socket before another message arrives.
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  bool closed() const { return closed_; }
  std::uint16_t close_code() const { return close_code_; }

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_{io_};
  std::ofstream record_;
  bool closed_ = false;
  std::uint16_t close_code_ = 0;
};

}  // namespace mgw::testing
