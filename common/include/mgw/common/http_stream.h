#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstddef>
#include <optional>
#include <utility>

namespace mgw::http {

// One accepted connection: plain TCP, or TLS over it once UpgradeToTls is called. It is an
// AsyncStream and a SyncStream, so Beast's HTTP and WebSocket code (websocket::stream<Stream>)
// run over either without being written twice. Like Beast's streams, it is used on one strand.
class Stream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  explicit Stream(boost::beast::tcp_stream tcp) : plain_(std::move(tcp)) {}

  // From now on reads and writes go through TLS (the handshake is the caller's next step).
  void UpgradeToTls(boost::asio::ssl::context& context) {
    tls_.emplace(std::move(*plain_), context);
    plain_.reset();
  }
  bool is_tls() const { return tls_.has_value(); }
  TlsStream& tls() { return *tls_; }
  // The TCP connection underneath (timeouts, shutdown, close).
  boost::beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
  boost::asio::ip::tcp::socket& socket() { return tcp().socket(); }
  executor_type get_executor() { return tcp().get_executor(); }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Handler>(handler));
    plain_->async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_write_some(buffers, std::forward<Handler>(handler));
    plain_->async_write_some(buffers, std::forward<Handler>(handler));
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::beast::error_code& ec) {
    return tls_ ? tls_->read_some(buffers, ec) : plain_->read_some(buffers, ec);
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    return tls_ ? tls_->read_some(buffers) : plain_->read_some(buffers);
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, boost::beast::error_code& ec) {
    return tls_ ? tls_->write_some(buffers, ec) : plain_->write_some(buffers, ec);
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    return tls_ ? tls_->write_some(buffers) : plain_->write_some(buffers);
  }

 private:
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<TlsStream> tls_;
};

// What websocket::stream<Stream> needs to close the connection (found by argument-dependent
// lookup): TLS close_notify first when it is TLS, then the TCP teardown.
inline void teardown(boost::beast::role_type role, Stream& stream, boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  if (stream.is_tls()) return teardown(role, stream.tls(), ec);
  teardown(role, stream.tcp(), ec);
}

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, Stream& stream, TeardownHandler&& handler) {
  using boost::beast::websocket::async_teardown;
  if (stream.is_tls()) {
    return async_teardown(role, stream.tls(), std::forward<TeardownHandler>(handler));
  }
  async_teardown(role, stream.tcp(), std::forward<TeardownHandler>(handler));
}

inline void beast_close_socket(Stream& stream) { boost::beast::close_socket(stream.tcp()); }

}  // namespace mgw::http
