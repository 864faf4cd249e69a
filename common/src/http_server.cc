#include "mgw/common/http_server.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
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

bool SaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

std::string NewRequestId() {
  // Ids must be unique, not secret: each thread draws a random 96-bit start once and counts up
  // from it, which keeps OpenSSL's generator (and its locks) off the per-request path.
  struct State {
    uint32_t high = 0;
    uint64_t low = 0;
  };
  thread_local State state = [] {
    unsigned char bytes[12];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
      throw std::runtime_error("OpenSSL's random generator failed");
    }
    State fresh;
    std::memcpy(&fresh.high, bytes, sizeof fresh.high);
    std::memcpy(&fresh.low, bytes + 4, sizeof fresh.low);
    return fresh;
  }();
  if (++state.low == 0) ++state.high;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(24, '0');
  for (int i = 0; i < 8; ++i) id[7 - i] = kHex[(state.high >> (4 * i)) & 0xF];
  for (int i = 0; i < 16; ++i) id[23 - i] = kHex[(state.low >> (4 * i)) & 0xF];
  return id;
}

namespace {

class Session;

// The reason OpenSSL gave for the last failure, and its error queue emptied.
std::string OpenSslReason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no reason given";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fmt::format("OpenSSL error {:#x}", code);
}

struct BioCloser {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyCloser {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

void MustBeReadable(TlsFileError::File which, std::string_view what, const std::string& path) {
  if (path.empty()) throw TlsFileError(which, fmt::format("expected the path of a PEM {}", what));
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw TlsFileError(which, fmt::format("cannot read \"{}\": {}", path, std::strerror(errno)));
  }
  std::fclose(file);
}

// A server context: TLS 1.2 or later, the certificate chain and its private key.
std::shared_ptr<asio::ssl::context> LoadTlsContext(const TlsFiles& files) {
  using File = TlsFileError::File;
  MustBeReadable(File::kCertificate, "certificate chain", files.cert_file);
  MustBeReadable(File::kKey, "private key", files.key_file);
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1) {
    throw TlsFileError(File::kCertificate, fmt::format("\"{}\" holds no usable PEM certificate: {}",
                                                       files.cert_file, OpenSslReason()));
  }
  std::unique_ptr<BIO, BioCloser> bio(BIO_new_file(files.key_file.c_str(), "r"));
  std::unique_ptr<EVP_PKEY, PkeyCloser> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    throw TlsFileError(File::kKey, fmt::format("\"{}\" holds no usable PEM private key: {}",
                                               files.key_file, OpenSslReason()));
  }
  X509* certificate = SSL_CTX_get0_certificate(ctx);
  if (certificate == nullptr || X509_check_private_key(certificate, key.get()) != 1) {
    ERR_clear_error();
    throw TlsFileError(File::kKey,
                       fmt::format("the private key in \"{}\" does not match the certificate in "
                                   "\"{}\"",
                                   files.key_file, files.cert_file));
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    throw TlsFileError(File::kKey, fmt::format("\"{}\": {}", files.key_file, OpenSslReason()));
  }
  return context;
}

}  // namespace

void CheckTlsFiles(const TlsFiles& files) { LoadTlsContext(files); }

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  std::shared_ptr<asio::ssl::context> tls;  // when options.tls
  // The default concurrency hint, not 1: with 1, Asio assumes a single thread runs the context,
  // keeps handlers on the posting thread's private queue and does not wake the other threads
  // when the reactor returns several ready handlers, so `threads` > 1 did not run in parallel.
  asio::io_context io;
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
  Session(tcp::socket socket, Server::Impl& server)
      : stream_(beast::tcp_stream(std::move(socket))), server_(server) {}

  void Start() {
    if (!server_.tls) return ReadRequest();
    // The first bytes tell a TLS ClientHello from someone speaking plain HTTP to this port.
    stream_.tcp().expires_after(std::chrono::seconds(30));
    beast::async_detect_ssl(stream_.tcp(), buffer_,
                            [self = shared_from_this()](beast::error_code ec, bool is_tls) {
                              if (ec) return self->Finish();
                              if (!is_tls) return self->RefusePlainHttp();
                              self->Handshake();
                            });
  }
  void Close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.tcp().close();
    });
  }

 private:
  void Handshake() {
    stream_.UpgradeToTls(*server_.tls);
    stream_.tls().async_handshake(
        asio::ssl::stream_base::server, buffer_.data(),
        // The default argument works around Boost 1.81's ssl_stream, whose constraint on this
        // overload wrongly asks for a handler callable with the error code alone.
        [self = shared_from_this()](beast::error_code ec, size_t used = 0) {
          if (ec) {
            spdlog::debug("http: TLS handshake failed: {}", ec.message());
            return self->Finish();
          }
          self->buffer_.consume(used);
          self->ReadRequest();
        });
  }

  // Answered in plain HTTP, so a client that forgot https:// sees why, then closed.
  void RefusePlainHttp() {
    WriteError(Response::Problem(400, "/problems/tls-required", "This port speaks HTTPS",
                                 "the request was plain HTTP; use https:// (TLS 1.2 or later)"));
  }

  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_.options.max_header_bytes));
    stream_.tcp().expires_after(std::chrono::seconds(60));
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
    Write(std::move(response), message.keep_alive(), message.version(),
          request.Header("x-request-id").value_or(""));
  }

  // The connection leaves this server's bookkeeping: the upgrade handler owns it now.
  void HandOver(Request& request) {
    stream_.tcp().expires_never();
    auto upgrade = std::make_unique<UpgradeRequest>(UpgradeRequest{
        std::move(request), std::move(stream_), parser_->release(), std::move(buffer_)});
    {
      std::lock_guard lock(server_.sessions_mutex);
      server_.sessions.erase(shared_from_this());
    }
    server_.options.upgrade(std::move(upgrade));
  }

  // An answer of the server's own (400, 413, 431), after which the connection closes. It echoes
  // the client's X-Request-Id when the parser got as far as a sane one (the fields read before
  // an error are kept; a 413 for a declared Content-Length comes before the header is "done").
  void WriteError(Response response) {
    std::string id;
    if (parser_) {
      auto sent = parser_->get().find("x-request-id");
      if (sent != parser_->get().end()) id = std::string(sent->value());
    }
    if (!SaneRequestId(id)) id = NewRequestId();
    response.headers.emplace_back("x-request-id", std::move(id));
    Write(std::move(response), false, 11);
  }

  // `request_id`: the request's own header, for responses whose handler set none.
  void Write(Response response, bool keep_alive, unsigned version,
             std::string_view request_id = {}) {
    bool has_id = false;
    for (const auto& [name, value] : response.headers) has_id = has_id || name == "x-request-id";
    if (!has_id) {
      response.headers.emplace_back(
          "x-request-id", SaneRequestId(request_id) ? std::string(request_id) : NewRequestId());
    }
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
  // Over TLS the discarded input is read as raw TCP: it is thrown away undecrypted.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.tcp().expires_after(std::chrono::seconds(2));
    DiscardInput(0);
  }

  void DiscardInput(size_t discarded) {
    constexpr size_t kLingerLimit = 4 << 20;
    if (discarded > kLingerLimit) return Finish();
    auto scratch = std::make_shared<std::array<char, 16384>>();
    stream_.tcp().async_read_some(
        asio::buffer(*scratch),
        [self = shared_from_this(), scratch, discarded](beast::error_code ec, size_t n) {
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

  Stream stream_;
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
  if (impl_->options.tls) impl_->tls = LoadTlsContext(*impl_->options.tls);
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
