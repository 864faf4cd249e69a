#include "signalling_client.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

namespace mgw::testing {
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace json = boost::json;

SignallingClient::SignallingClient(uint16_t port, const std::optional<std::string>& token,
                                   const std::string& record_file) {
  if (!record_file.empty()) record_.open(record_file, std::ios::app);
  boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
  ws_.next_layer().connect(endpoint);
  ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
    if (token) request.set(beast::http::field::authorization, "Bearer " + *token);
  }));
  ws_.handshake("127.0.0.1:" + std::to_string(port), "/signalling");
}

void SignallingClient::Send(const json::object& message) { SendText(json::serialize(message)); }

void SignallingClient::SendText(const std::string& text) {
  ws_.text(true);
  ws_.write(boost::asio::buffer(text));
}

std::optional<json::object> SignallingClient::Next(std::chrono::milliseconds timeout) {
  if (closed_) return std::nullopt;
  // Asynchronous read run for at most `timeout`: a blocking socket read cannot be given a
  // deadline through Asio (it polls again on EAGAIN).
  beast::flat_buffer buffer;
  std::optional<beast::error_code> result;
  ws_.async_read(buffer, [&result](beast::error_code ec, std::size_t) { result = ec; });
  io_.restart();
  io_.run_for(timeout);
  if (!result) {
    // Nothing in time: cancel the read (the stream is not used for reading again after this).
    beast::error_code ignored;
    ws_.next_layer().cancel(ignored);
    io_.restart();
    io_.run();
    return std::nullopt;
  }
  if (*result) {
    if (*result == websocket::error::closed) {
      closed_ = true;
      close_code_ = static_cast<std::uint16_t>(ws_.reason().code);
    } else if (*result == boost::asio::error::eof ||
               *result == boost::asio::error::connection_reset) {
      closed_ = true;
    }
    return std::nullopt;
  }
  const std::string text = beast::buffers_to_string(buffer.data());
  if (record_.is_open()) record_ << text << "\n" << std::flush;
  json::value value = json::parse(text);
  if (!value.is_object()) return std::nullopt;
  return value.as_object();
}

json::object SignallingClient::Expect(std::string_view content_type) {
  for (;;) {
    std::optional<json::object> message = Next();
    if (!message) {
      ADD_FAILURE() << "no " << content_type << " (closed: " << closed_ << ")";
      return {};
    }
    if (message->at("content_type").as_string() == content_type) return *message;
  }
}

bool SignallingClient::WaitClosed(std::chrono::milliseconds timeout) {
  while (!closed_) {
    if (!Next(timeout) && !closed_) return false;
  }
  return true;
}

}  // namespace mgw::testing
