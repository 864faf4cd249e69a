#include "mgw/common/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "mgw/common/http_upgrade.h"

namespace mgw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::optional<std::string_view> Request::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

Response Response::Text(int status, std::string body) {
  return Response{status, "text/plain; charset=utf-8", {}, std::move(body)};
}

Response Response::Json(int status, std::string body) {
  return Response{status, "application/json", {}, std::move(body)};
}

Response Response::Problem(int status, std::string_view type, std::string_view title,
                           std::string_view detail) {
  boost::json::object body;
  body["type"] = type;
  body["title"] = title;
  body["status"] = status;
  if (!detail.empty()) body["detail"] = detail;
  return Response{status, "application/problem+json", {}, boost::json::serialize(body)};
}

std::string_view ReasonPhrase(int status) {
  return bhttp::obsolete_reason(static_cast<bhttp::status>(status));
}

namespace {

class Session;

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::atomic<bool> running{false};
  std::mutex sessions_mutex;
  std::set<std::shared_ptr<Session>> sessions;

  void Accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void Start() { ReadRequest(); }
  void Close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_.options.max_header_bytes));
    stream_.expires_after(std::chrono::seconds(60));
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      return Finish();
    }
    if (ec == bhttp::error::body_limit) {
      return WriteError(Response::Problem(
          413, "/problems/payload-too-large", "Request body too large",
          fmt::format("the body exceeds {} bytes", server_.options.max_body_bytes)));
    }
    if (ec == bhttp::error::header_limit) {
      return WriteError(Response::Problem(
          431, "/problems/header-too-large", "Request header fields too large",
          fmt::format("the header block exceeds {} bytes", server_.options.max_header_bytes)));
    }
    if (ec) {
      return WriteError(
          Response::Problem(400, "/problems/bad-request", "Malformed HTTP request", ec.message()));
    }
    const auto& message = parser_->get();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    size_t q = request.target.find('?');
    request.path = request.target.substr(0, q);
    if (q != std::string::npos) request.query = request.target.substr(q + 1);
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = message.body();
    beast::error_code addr_ec;
    auto remote = stream_.socket().remote_endpoint(addr_ec);
    if (!addr_ec) request.remote_address = remote.address().to_string();
    if (server_.options.upgrade && beast::websocket::is_upgrade(message)) return HandOver(request);

    Response response;
    try {
      response = server_.handler(request);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {} failed: {}", request.method, request.path, e.what());
      response = Response::Problem(500, "/problems/internal", "Internal server error");
    }
    Write(std::move(response), message.keep_alive(), message.version());
  }

  // The connection leaves this server's bookkeeping: the upgrade handler owns it now.
  void HandOver(Request& request) {
    stream_.expires_never();
    auto upgrade = std::make_unique<UpgradeRequest>(UpgradeRequest{
        std::move(request), std::move(stream_), parser_->release(), std::move(buffer_)});
    {
      std::lock_guard lock(server_.sessions_mutex);
      server_.sessions.erase(shared_from_this());
    }
    server_.options.upgrade(std::move(upgrade));
  }

  void WriteError(Response response) { Write(std::move(response), false, 11); }

  void Write(Response response, bool keep_alive, unsigned version) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), version);
    out->set(bhttp::field::server, server_.options.server_name);
    out->set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) out->set(name, value);
    out->body() = std::move(response.body);
    out->keep_alive(keep_alive);
    out->prepare_payload();
    bhttp::async_write(stream_, *out,
                       [self = shared_from_this(), out, keep_alive](beast::error_code ec, size_t) {
                         if (ec) return self->Finish();
                         if (!keep_alive) return self->Linger();
                         self->ReadRequest();
                       });
  }

  // Closing right after an early answer (413, 431, 400) while the client is still sending would
  // make the kernel reset the connection, which can destroy the answer before the client reads
  // it. So: stop sending, then read and discard what the client still sends, for a bounded time
  // and amount, before closing (nginx's "lingering close").
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    DiscardInput(0);
  }

  void DiscardInput(size_t discarded) {
    constexpr size_t kLingerLimit = 4 << 20;
    if (discarded > kLingerLimit) return Finish();
    auto scratch = std::make_shared<std::array<char, 16384>>();
    stream_.async_read_some(asio::buffer(*scratch), [self = shared_from_this(), scratch, discarded](
                                                        beast::error_code ec, size_t n) {
      if (ec) return self->Finish();  // EOF, timeout or reset: done
      self->DiscardInput(discarded + n);
    });
  }

  void Finish() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::lock_guard lock(server_.sessions_mutex);
    server_.sessions.erase(shared_from_this());
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
};

}  // namespace

void Server::Impl::Accept() {
  // Each connection gets its own strand, so its handlers never run concurrently.
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !running) return;
      spdlog::warn("http: accept failed: {}", ec.message());
    } else {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      {
        std::lock_guard lock(sessions_mutex);
        sessions.insert(session);
      }
      session->Start();
    }
    if (running) Accept();
  });
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() { Stop(); }

void Server::Start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot listen on \"{}\": not an IP address", impl_->options.address));
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  auto fail = [&](std::string_view what) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{}: {} failed: {}",
                                         impl_->options.address, impl_->options.port, what,
                                         ec.message()));
  };
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("open");
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  impl_->acceptor.bind(endpoint, ec);
  if (ec) fail("bind");
  impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail("listen");
  impl_->running = true;
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

void Server::Stop() {
  if (!impl_->running.exchange(false)) {
    return;
  }
  asio::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    std::lock_guard lock(impl_->sessions_mutex);
    for (const auto& session : impl_->sessions) session->Close();
  });
  // Sessions finish their current write and close; then the io_context runs out of work.
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

uint16_t Server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

}  // namespace mgw::http
