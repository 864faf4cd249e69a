#include "mgw/common/http_server.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
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

namespace {

class Session;
// Plain connections: a socket on the io_context's own executor (no strand, no type-erased
// executor per operation). A session's handlers form one chain (at most one operation pending),
// so they never run concurrently; the server reaches a session from outside only through
// Session::ForceClose, a shutdown(2) of its descriptor.
using PlainSocket = tcp::socket::rebind_executor<asio::io_context::executor_type>::other;

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  std::shared_ptr<asio::ssl::context> tls;  // when options.tls
  // The default concurrency hint, not 1: with 1, Asio assumes a single thread runs the context,
  // keeps handlers on the posting thread's private queue and does not wake the other threads
  // when the reactor returns several ready handlers, so `threads` > 1 did not run in parallel.
  asio::io_context io;
  tcp::acceptor acceptor{io};
  // Connection deadlines (reading a request, TLS detection, lingering close) are checked here a
  // few times a second instead of by a timer per I/O operation, which cost a timer start and
  // cancel (and a completion) per read and per write. On a strand: Stop cancels it from
  // another thread.
  asio::strand<asio::io_context::executor_type> sweep_strand = asio::make_strand(io);
  asio::steady_timer sweep{sweep_strand};
  std::vector<std::thread> threads;
  std::atomic<bool> running{false};
  std::mutex sessions_mutex;
  std::set<std::shared_ptr<Session>> sessions;

  void Accept();
  void Sweep();
};

namespace {

constexpr auto kSweepInterval = std::chrono::milliseconds(250);
constexpr size_t kMinReadSize = 4096;  // one recv takes a whole ordinary request
constexpr size_t kMaxReadSize = 65536;
constexpr size_t kKeepCapacity = 64 << 10;  // larger buffers are freed between requests

int64_t SteadyNow() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// Beast's parser, delivering straight into a Request that the session keeps across its
// requests: once a keep-alive connection's strings have grown, a request costs no allocation
// (Beast's own parser builds a message whose every field is a fresh node, which was then copied
// into the Request). Header names are lower-cased; fields parsed before an error (a 413 for a
// declared Content-Length) stay readable through Field.
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  explicit RequestParser(Request& request) : request_(request) {
    request_.body.clear();
    if (request_.body.capacity() > kKeepCapacity) std::string().swap(request_.body);
  }

  unsigned version() const { return version_; }
  bool upgrade_field() const { return upgrade_field_; }
  // A field of this request parsed so far.
  std::optional<std::string_view> Field(std::string_view lower_name) const {
    for (size_t i = 0; i < fields_ && i < request_.headers.size(); ++i) {
      if (request_.headers[i].first == lower_name) return request_.headers[i].second;
    }
    return std::nullopt;
  }

 private:
  void on_request_impl(bhttp::verb, beast::string_view method, beast::string_view target,
                       int version, beast::error_code&) override {
    request_.method.assign(method.data(), method.size());
    request_.target.assign(target.data(), target.size());
    const std::string_view view(target.data(), target.size());
    const size_t q = view.find('?');
    request_.path.assign(view.substr(0, q));
    if (q != std::string_view::npos) {
      request_.query.assign(view.substr(q + 1));
    } else {
      request_.query.clear();
    }
    version_ = static_cast<unsigned>(version);
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(bhttp::field name, beast::string_view name_string, beast::string_view value,
                     beast::error_code&) override {
    if (fields_ == request_.headers.size()) request_.headers.emplace_back();
    auto& [lower, text] = request_.headers[fields_++];
    lower.assign(name_string.data(), name_string.size());
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    text.assign(value.data(), value.size());
    if (name == bhttp::field::upgrade) upgrade_field_ = true;
  }
  void on_header_impl(beast::error_code&) override { request_.headers.resize(fields_); }
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    if (length) request_.body.reserve(static_cast<size_t>(*length));
  }
  size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  Request& request_;
  size_t fields_ = 0;  // this request's fields: the first `fields_` of request_.headers
  unsigned version_ = 11;
  bool upgrade_field_ = false;
};

// One connection. Plain HTTP goes straight to the socket: a request is parsed from the
// session's buffer (pipelined ones in turn, in order), answered, and the answer written with one
// non-blocking gather write (header block and body) from the thread that made it; only a write
// the socket cannot take at once, and reading, wait in the io_context. Over TLS (or on a TLS
// server before the first bytes are seen) the same steps go through `Stream`, asynchronously.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(PlainSocket socket, Server::Impl& server)
      : socket_(std::move(socket)), fd_(socket_.native_handle()), server_(server) {
    beast::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
    Init();
  }
  Session(tcp::socket socket, Server::Impl& server)
      : socket_(server.io.get_executor()),
        fd_(socket.native_handle()),
        stream_(std::in_place, beast::tcp_stream(std::move(socket))),
        server_(server) {
    beast::error_code ec;
    stream_->socket().set_option(tcp::no_delay(true), ec);
    Init();
  }

  void Start() {
    if (!server_.tls) return Serve();
    // The first bytes tell a TLS ClientHello from someone speaking plain HTTP to this port.
    SetDeadline(std::chrono::seconds(30));
    beast::async_detect_ssl(stream_->tcp(), buffer_,
                            [self = shared_from_this()](beast::error_code ec, bool is_tls) {
                              if (ec) return self->Finish();
                              if (!is_tls) return self->RefusePlainHttp();
                              self->Handshake();
                            });
  }

  // From any thread: ends the connection (its pending operation completes with an error or end
  // of file, and the session finishes on its own). The descriptor stays open until the session
  // is destroyed, so this never reaches another connection's.
  void ForceClose() { ::shutdown(fd_, SHUT_RDWR); }
  bool Expired(int64_t now) const {
    const int64_t deadline = deadline_.load(std::memory_order_relaxed);
    return deadline != 0 && now > deadline;
  }

 private:
  void Init() {
    buffer_.reserve(kMinReadSize);
    beast::error_code ec;
    auto remote = stream_ ? stream_->socket().remote_endpoint(ec) : socket_.remote_endpoint(ec);
    if (!ec) request_.remote_address = remote.address().to_string();
  }

  void SetDeadline(std::chrono::steady_clock::duration after) {
    deadline_.store(SteadyNow() + after.count(), std::memory_order_relaxed);
  }

  void Handshake() {
    stream_->UpgradeToTls(*server_.tls);
    stream_->tls().async_handshake(
        asio::ssl::stream_base::server, buffer_.data(),
        // The default argument works around Boost 1.81's ssl_stream, whose constraint on this
        // overload wrongly asks for a handler callable with the error code alone.
        [self = shared_from_this()](beast::error_code ec, size_t used = 0) {
          if (ec) {
            spdlog::debug("http: TLS handshake failed: {}", ec.message());
            return self->Finish();
          }
          self->buffer_.consume(used);
          self->Serve();
        });
  }

  // Answered in plain HTTP, so a client that forgot https:// sees why, then closed.
  void RefusePlainHttp() {
    WriteError(Response::Problem(400, "/problems/tls-required", "This port speaks HTTPS",
                                 "the request was plain HTTP; use https:// (TLS 1.2 or later)"));
  }

  // Parses what is buffered and answers each complete request; returns when it has to wait for
  // the socket (a read, or a write that did not complete at once) or the connection ends. A loop
  // rather than a chain of calls, so that many pipelined requests do not deepen the stack.
  void Serve() {
    for (;;) {
      if (!parser_) {
        parser_.emplace(request_);
        parser_->eager(true);
        parser_->body_limit(server_.options.max_body_bytes);
        parser_->header_limit(static_cast<uint32_t>(server_.options.max_header_bytes));
        SetDeadline(std::chrono::seconds(60));
      }
      if (buffer_.size() == 0) return ReadMore();
      beast::error_code ec;
      buffer_.consume(parser_->put(buffer_.data(), ec));
      if (ec == bhttp::error::need_more) return ReadMore();
      if (ec) return OnParseError(ec);
      if (!parser_->is_done()) continue;
      if (!Answer()) return;
    }
  }

  void ReadMore() {
    if (buffer_.size() == 0 && buffer_.capacity() > kKeepCapacity) buffer_.shrink_to_fit();
    const size_t size =
        std::min(std::max(kMinReadSize, buffer_.capacity() - buffer_.size()), kMaxReadSize);
    auto done = [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      self->OnBytes(ec);
    };
    if (stream_) return stream_->async_read_some(buffer_.prepare(size), std::move(done));
    socket_.async_read_some(buffer_.prepare(size), std::move(done));
  }

  void OnBytes(beast::error_code ec) {
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      if (!parser_->got_some()) return Finish();  // between requests: the client is done
      ec = {};
      parser_->put_eof(ec);  // a body delimited by the end of the connection, or a cut request
      if (ec) return OnParseError(ec);
      if (Answer()) Serve();
      return;
    }
    if (ec) return Finish();  // reset, aborted, or closed by Stop or a deadline
    Serve();
  }

  void OnParseError(beast::error_code ec) {
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
    WriteError(
        Response::Problem(400, "/problems/bad-request", "Malformed HTTP request", ec.message()));
  }

  // The request in request_ is complete: hand it to the handler (or the upgrade handler) and
  // write the answer. True when the next request can be served right away.
  bool Answer() {
    const bool keep_alive = parser_->keep_alive();
    const unsigned version = parser_->version();
    if (server_.options.upgrade && parser_->upgrade_field()) {
      auto message = UpgradeMessage(version);
      if (beast::websocket::is_upgrade(message)) {
        HandOver(std::move(message));
        return false;
      }
    }
    parser_.reset();
    Response response;
    try {
      response = server_.handler(request_);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {} failed: {}", request_.method, request_.path, e.what());
      response = Response::Problem(500, "/problems/internal", "Internal server error");
    }
    return Write(std::move(response), keep_alive, version, request_.method == "HEAD",
                 request_.Header("x-request-id").value_or(""));
  }

  // The request as a Beast message, for the upgrade handler (websocket::stream::async_accept).
  bhttp::request<bhttp::string_body> UpgradeMessage(unsigned version) const {
    bhttp::request<bhttp::string_body> message;
    message.method_string(request_.method);
    message.target(request_.target);
    message.version(version);
    for (const auto& [name, value] : request_.headers) message.insert(name, value);
    message.body() = request_.body;
    return message;
  }

  // The connection leaves this server's bookkeeping: the upgrade handler owns it now, on a
  // strand of its own (it writes from other threads).
  void HandOver(bhttp::request<bhttp::string_body> message) {
    {
      std::lock_guard lock(server_.sessions_mutex);  // no ForceClose from here on
      server_.sessions.erase(shared_from_this());
    }
    deadline_.store(0, std::memory_order_relaxed);
    std::optional<Stream> stream;
    if (stream_) {
      stream.emplace(std::move(*stream_));
    } else {
      beast::error_code ec;
      auto protocol = socket_.local_endpoint(ec).protocol();
      if (ec) return;  // the peer is gone already; the socket closes with this session
      auto fd = socket_.release(ec);
      if (ec) return;
      tcp::socket moved(asio::make_strand(server_.io));
      moved.assign(protocol, fd, ec);
      if (ec) {
        ::close(fd);
        return;
      }
      stream.emplace(beast::tcp_stream(std::move(moved)));
    }
    auto upgrade = std::make_unique<UpgradeRequest>(UpgradeRequest{
        std::move(request_), std::move(*stream), std::move(message), std::move(buffer_)});
    server_.options.upgrade(std::move(upgrade));
  }

  // An answer of the server's own (400, 413, 431), after which the connection closes. It echoes
  // the client's X-Request-Id when the parser got as far as a sane one (the fields read before
  // an error are kept; a 413 for a declared Content-Length comes before the header is "done").
  void WriteError(Response response) {
    std::string id;
    if (parser_) {
      if (auto sent = parser_->Field("x-request-id")) id = std::string(*sent);
    }
    if (!SaneRequestId(id)) id = NewRequestId();
    response.headers.emplace_back("x-request-id", std::move(id));
    parser_.reset();
    Write(std::move(response), false, 11, false);
  }

  // Formats the header block the way Beast's serializer did (status line, Server, Content-Type,
  // the handler's fields with a later one of the same name replacing an earlier, Connection when
  // it differs from the version's default, Content-Length) and writes it and the body. HEAD gets
  // the header block alone; 1xx, 204 and 304 no body and no Content-Length. `request_id`: the
  // request's own header, for responses whose handler set none. True when the write completed at
  // once and the connection stays open: the caller goes on with the next request.
  bool Write(Response response, bool keep_alive, unsigned version, bool head_request,
             std::string_view request_id = {}) {
    bool has_id = false;
    for (const auto& [name, value] : response.headers) has_id = has_id || name == "x-request-id";
    if (!has_id) {
      response.headers.emplace_back(
          "x-request-id", SaneRequestId(request_id) ? std::string(request_id) : NewRequestId());
    }
    const int status = response.status;
    const bool no_body = (status >= 100 && status < 200) || status == 204 || status == 304;
    head_.clear();
    head_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
    head_.append(digits, end);
    head_ += ' ';
    head_ += ReasonPhrase(status);
    head_ += "\r\n";
    // Whether a handler's field from index `from` on has this name.
    auto named = [&](size_t from, std::string_view name) {
      for (size_t j = from; j < response.headers.size(); ++j) {
        if (IEquals(response.headers[j].first, name)) return true;
      }
      return false;
    };
    auto field = [&](std::string_view name, std::string_view value) {
      if (HasLineBreak(name) || HasLineBreak(value)) {
        spdlog::warn("http: response field \"{}\" left out: it holds a line break", name);
        return;
      }
      head_ += name;
      head_ += ": ";
      head_ += value;
      head_ += "\r\n";
    };
    if (!named(0, "server")) field("Server", server_.options.server_name);
    if (!named(0, "content-type")) field("Content-Type", response.content_type);
    for (size_t i = 0; i < response.headers.size(); ++i) {
      const auto& [name, value] = response.headers[i];
      if (IEquals(name, "content-length") || IEquals(name, "transfer-encoding") ||
          IEquals(name, "connection") || named(i + 1, name)) {
        continue;
      }
      field(name, value);
    }
    if (version >= 11 && !keep_alive) head_ += "Connection: close\r\n";
    if (version < 11 && keep_alive) head_ += "Connection: keep-alive\r\n";
    if (!no_body) {
      end = std::to_chars(digits, digits + sizeof digits, response.body.size()).ptr;
      head_ += "Content-Length: ";
      head_.append(digits, end);
      head_ += "\r\n";
    }
    head_ += "\r\n";
    body_ = std::move(response.body);
    if (no_body || head_request) body_.clear();
    keep_alive_ = keep_alive;

    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(body_)};
    size_t written = 0;
    if (!stream_) {
      beast::error_code ec;
      written = socket_.write_some(buffers, ec);  // non-blocking
      if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
        Finish();
        return false;
      }
      if (written == head_.size() + body_.size()) return Written();
    }
    // The rest waits for the socket.
    if (written < head_.size()) {
      buffers = {asio::buffer(head_) + written, asio::buffer(body_)};
    } else {
      buffers = {asio::const_buffer(), asio::buffer(body_) + (written - head_.size())};
    }
    auto done = [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Finish();
      if (self->Written()) self->Serve();
    };
    if (stream_) {
      asio::async_write(*stream_, buffers, std::move(done));
    } else {
      asio::async_write(socket_, buffers, std::move(done));
    }
    return false;
  }

  // The whole answer is out. True when the next request can be served.
  bool Written() {
    if (body_.capacity() > kKeepCapacity) std::string().swap(body_);
    if (!keep_alive_) {
      Linger();
      return false;
    }
    return true;
  }

  // Closing right after an early answer (413, 431, 400) while the client is still sending would
  // make the kernel reset the connection, which can destroy the answer before the client reads
  // it. So: stop sending, then read and discard what the client still sends, for a bounded time
  // and amount, before closing (nginx's "lingering close").
  // Over TLS the discarded input is read as raw TCP: it is thrown away undecrypted.
  void Linger() {
    ::shutdown(fd_, SHUT_WR);
    SetDeadline(std::chrono::seconds(2));
    DiscardInput(0);
  }

  void DiscardInput(size_t discarded) {
    constexpr size_t kLingerLimit = 4 << 20;
    if (discarded > kLingerLimit) return Finish();
    auto scratch = std::make_shared<std::array<char, 16384>>();
    auto done = [self = shared_from_this(), scratch, discarded](beast::error_code ec, size_t n) {
      if (ec) return self->Finish();  // EOF, deadline or reset: done
      self->DiscardInput(discarded + n);
    };
    if (stream_) return stream_->tcp().async_read_some(asio::buffer(*scratch), std::move(done));
    socket_.async_read_some(asio::buffer(*scratch), std::move(done));
  }

  void Finish() {
    ::shutdown(fd_, SHUT_WR);
    deadline_.store(0, std::memory_order_relaxed);
    std::lock_guard lock(server_.sessions_mutex);
    server_.sessions.erase(shared_from_this());
  }

  PlainSocket socket_;            // plain HTTP; unused (closed) on a TLS server
  const int fd_;                  // the connection's descriptor, for ForceClose
  std::optional<Stream> stream_;  // on a TLS server: the connection, TLS once negotiated
  Server::Impl& server_;
  std::atomic<int64_t> deadline_{0};  // steady_clock ticks; 0: none
  beast::flat_buffer buffer_;
  Request request_;  // reused: its strings keep their capacity from request to request
  std::optional<RequestParser> parser_;
  std::string head_;  // the response's header block
  std::string body_;  // the response's body while it is written
  bool keep_alive_ = true;
};

}  // namespace

void Server::Impl::Accept() {
  auto on_accept = [this](beast::error_code ec, auto socket) {
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      {
        std::lock_guard lock(sessions_mutex);
        sessions.insert(session);
      }
      session->Start();
    } else if (ec == asio::error::operation_aborted || !running) {
      return;
    } else {
      spdlog::warn("http: accept failed: {}", ec.message());
    }
    if (running) Accept();
  };
  // TLS connections get a strand, which the upgrade handler relies on; plain ones get it when
  // they are handed over.
  if (tls) {
    acceptor.async_accept(asio::make_strand(io), on_accept);
  } else {
    acceptor.async_accept(io.get_executor(), on_accept);
  }
}

void Server::Impl::Sweep() {
  sweep.expires_after(kSweepInterval);
  sweep.async_wait([this](beast::error_code ec) {
    if (ec || !running) return;
    const int64_t now = SteadyNow();
    {
      std::lock_guard lock(sessions_mutex);
      for (const auto& session : sessions) {
        if (session->Expired(now)) session->ForceClose();
      }
    }
    Sweep();
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
  impl_->Sweep();
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
    asio::post(impl_->sweep_strand, [this] { impl_->sweep.cancel(); });
    std::lock_guard lock(impl_->sessions_mutex);
    for (const auto& session : impl_->sessions) session->ForceClose();
  });
  // Sessions see their connection end and finish; then the io_context runs out of work.
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

uint16_t Server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

}  // namespace mgw::http
