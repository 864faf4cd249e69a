#pragma once

// The upgrade handler's end of the HTTP server tests' WebSocket: accepts the handed-over stream
// and answers every text message with the same text, prefixed with the request's path and ":"
// when asked (to show which request a socket came from). Runs on the stream's own executor;
// Abort closes it from any thread.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <string>

#include "mgw/common/http_upgrade.h"

namespace mgw::http::test {

struct EchoWebSocket : std::enable_shared_from_this<EchoWebSocket> {
  EchoWebSocket(std::unique_ptr<UpgradeRequest> upgrade, bool prefix_with_path)
      : ws(std::move(upgrade->stream)),
        message(std::move(upgrade->message)),
        prefix(prefix_with_path ? upgrade->request.path + ":" : "") {
    buffer = std::move(upgrade->buffer);
  }
  void Start() {
    ws.async_accept(message, [self = shared_from_this()](boost::beast::error_code ec) {
      if (!ec) self->Read();
    });
  }
  void Read() {
    ws.async_read(buffer, [self = shared_from_this()](boost::beast::error_code ec, size_t) {
      if (ec) return;
      self->ws.text(true);
      self->reply = self->prefix + boost::beast::buffers_to_string(self->buffer.data());
      self->buffer.consume(self->buffer.size());
      self->ws.async_write(boost::asio::buffer(self->reply),
                           [self](boost::beast::error_code write_ec, size_t) {
                             if (!write_ec) self->Read();
                           });
    });
  }
  void Abort() {
    boost::asio::post(ws.get_executor(), [self = shared_from_this()] {
      boost::beast::error_code ec;
      boost::beast::get_lowest_layer(self->ws).socket().close(ec);
    });
  }

  boost::beast::websocket::stream<Stream> ws;
  boost::beast::http::request<boost::beast::http::string_body> message;
  std::string prefix;
  boost::beast::flat_buffer buffer;
  std::string reply;
};

}  // namespace mgw::http::test
