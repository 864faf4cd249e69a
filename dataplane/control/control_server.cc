#include "mgw/control/control_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace mgw::control {

namespace asio = boost::asio;
namespace json = boost::json;
using local = asio::local::stream_protocol;

namespace {

class Connection;

}  // namespace

struct ControlServer::Impl {
  ControlService& service;
  asio::io_context io{1};
  local::acceptor acceptor{io};
  std::thread thread;
  std::set<std::shared_ptr<Connection>> connections;  // touched on the io thread only
  bool running = false;

  explicit Impl(ControlService& s) : service(s) {}
  void Accept();
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(local::socket socket, ControlServer::Impl& server)
      : socket_(std::move(socket)), server_(server) {}

  void Read() {
    asio::async_read_until(socket_, asio::dynamic_buffer(input_, kMaxLineBytes + 1), '\n',
                           [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                             self->OnLine(ec, n);
                           });
  }

  void Close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  void OnLine(boost::system::error_code ec, size_t n) {
    if (ec == asio::error::not_found) {  // a line longer than the limit
      Reply(SerializeError(json::value(), {ErrorCode::kBadRequest, "request line exceeds 1 MiB"}) +
                "\n",
            /*close_after=*/true);
      return;
    }
    if (ec) {
      server_.connections.erase(shared_from_this());
      return;
    }
    // This line, and every further complete one the read brought, up to kMaxBatch, are one
    // batch: their changes reach the workers together and are waited for once.
    std::vector<Answer> answers;
    server_.service.BeginBatch();
    answers.push_back(Dispatch(TakeLine(n)));
    size_t newline;
    while (answers.size() < kMaxBatch && (newline = input_.find('\n')) != std::string::npos) {
      answers.push_back(Dispatch(TakeLine(newline + 1)));
    }
    std::optional<Error> applied;
    try {
      applied = server_.service.EndBatch();
    } catch (const std::exception& e) {
      applied = Error{ErrorCode::kInternal, e.what()};
    }
    std::string text;
    for (Answer& answer : answers) {
      if (!answer.text.empty()) {
        text += answer.text;
      } else if (applied) {
        text += SerializeError(answer.id, *applied);
      } else {
        text += SerializeResult(answer.id, std::move(answer.result));
      }
      text += '\n';
    }
    Reply(std::move(text), false);
  }

  std::string TakeLine(size_t n) {
    std::string line = input_.substr(0, n - 1);
    input_.erase(0, n);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

  // An answer whose text is final (an error), or a result to send once the batch is in force.
  struct Answer {
    std::string text;
    json::value id;
    json::object result;
  };

  Answer Dispatch(const std::string& line) {
    auto parsed = ParseRequest(line);
    if (auto* failure = std::get_if<ParseFailure>(&parsed)) {
      return {SerializeError(failure->id, failure->error), {}, {}};
    }
    auto& request = std::get<Request>(parsed);
    try {
      auto outcome = server_.service.Handle(request.command);
      if (auto* error = std::get_if<Error>(&outcome)) {
        return {SerializeError(request.id, *error), {}, {}};
      }
      return {{}, request.id, std::move(std::get<json::object>(outcome))};
    } catch (const std::exception& e) {
      spdlog::error("control: {} failed: {}", OpName(request.command), e.what());
      return {SerializeError(request.id, {ErrorCode::kInternal, e.what()}), {}, {}};
    }
  }

  static constexpr size_t kMaxBatch = 256;

  // `text` is one or more answers, each ending in a newline.
  void Reply(std::string text, bool close_after) {
    auto out = std::make_shared<std::string>(std::move(text));
    asio::async_write(
        socket_, asio::buffer(*out),
        [self = shared_from_this(), out, close_after](boost::system::error_code ec, size_t) {
          if (ec || close_after) {
            self->Close();
            self->server_.connections.erase(self);
            return;
          }
          self->Read();
        });
  }

  local::socket socket_;
  ControlServer::Impl& server_;
  std::string input_;
};

// True when something accepts connections on `path` (a live dataplane we must not displace).
bool SomeoneListens(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return live;
}

}  // namespace

void ControlServer::Impl::Accept() {
  acceptor.async_accept([this](boost::system::error_code ec, local::socket socket) {
    if (ec) {
      if (!running) return;
      spdlog::warn("control: accept failed: {}", ec.message());
    } else {
      auto connection = std::make_shared<Connection>(std::move(socket), *this);
      connections.insert(connection);
      connection->Read();
    }
    if (running) Accept();
  });
}

ControlServer::ControlServer(std::string socket_path, ControlService& service)
    : path_(std::move(socket_path)), impl_(std::make_unique<Impl>(service)) {}

ControlServer::~ControlServer() { Stop(); }

void ControlServer::Start() {
  if (path_.size() >= sizeof(sockaddr_un::sun_path)) {
    throw std::runtime_error(fmt::format("control socket path {} is longer than {} bytes", path_,
                                         sizeof(sockaddr_un::sun_path) - 1));
  }
  std::error_code fs_ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), fs_ec);
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw std::runtime_error(
          fmt::format("control socket {}: exists and is not a socket; not replacing it", path_));
    }
    if (SomeoneListens(path_)) {
      throw std::runtime_error(
          fmt::format("control socket {}: another dataplane is listening on it", path_));
    }
    unlink(path_.c_str());  // stale, left by a dataplane that died
  }
  boost::system::error_code ec;
  impl_->acceptor.open(local(), ec);
  if (!ec) impl_->acceptor.bind(local::endpoint(path_), ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(fmt::format("control socket {}: {}", path_, ec.message()));
  }
  chmod(path_.c_str(), 0660);
  impl_->running = true;
  impl_->Accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void ControlServer::Stop() {
  if (!impl_->running) return;
  asio::post(impl_->io, [this] {
    impl_->running = false;
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    for (const auto& connection : impl_->connections) connection->Close();
    impl_->connections.clear();
  });
  impl_->thread.join();
  unlink(path_.c_str());
}

ControlCallError::ControlCallError(Error error)
    : std::runtime_error(fmt::format("{}: {}", ToString(error.code), error.message)),
      error_(std::move(error)) {}

ControlClient::ControlClient(const std::string& socket_path) {
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    throw std::runtime_error(fmt::format("cannot connect to the dataplane control socket {}: {}",
                                         socket_path, std::strerror(err)));
  }
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) close(fd_);
}

std::string ControlClient::ReadLine() {
  for (;;) {
    size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    char chunk[8192];
    ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("the dataplane closed the control connection");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

void ControlClient::SendAll(const std::string& text) {
  size_t sent = 0;
  while (sent < text.size()) {
    ssize_t n = send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("the dataplane closed the control connection");
    sent += static_cast<size_t>(n);
  }
}

std::string ControlClient::CallRaw(const std::string& line) {
  SendAll(line + "\n");
  return ReadLine();
}

json::object ControlClient::Call(const Command& command) {
  int64_t id = next_id_++;
  return ParseAnswer(CallRaw(SerializeRequest(json::value(id), command)), id);
}

std::vector<json::object> ControlClient::CallAll(const std::vector<Command>& commands) {
  constexpr size_t kWindow = 256;  // the server's batch; bounds what waits in either socket
  std::vector<json::object> results;
  results.reserve(commands.size());
  std::optional<ControlCallError> first_failure;
  for (size_t begin = 0; begin < commands.size(); begin += kWindow) {
    const size_t end = std::min(commands.size(), begin + kWindow);
    std::string text;
    const int64_t first_id = next_id_;
    for (size_t i = begin; i < end; ++i) {
      text += SerializeRequest(json::value(next_id_++), commands[i]);
      text += '\n';
    }
    SendAll(text);
    for (size_t i = begin; i < end; ++i) {
      try {
        results.push_back(ParseAnswer(ReadLine(), first_id + static_cast<int64_t>(i - begin)));
      } catch (const ControlCallError& e) {
        if (!first_failure) first_failure = e;
        results.emplace_back();
      }
    }
  }
  if (first_failure) throw *first_failure;
  return results;
}

json::object ControlClient::ParseAnswer(const std::string& line, int64_t id) {
  boost::system::error_code ec;
  json::value response = json::parse(line, ec);
  if (ec || !response.is_object()) {
    throw std::runtime_error("the dataplane sent a response that is not a JSON object");
  }
  const json::object& object = response.as_object();
  const json::value* answered = object.if_contains("id");
  if (answered == nullptr || !answered->is_int64() || answered->as_int64() != id) {
    throw std::runtime_error(fmt::format("the dataplane answered {} where request {} was due",
                                         answered ? json::serialize(*answered) : "no id", id));
  }
  const json::value* ok = object.if_contains("ok");
  if (ok != nullptr && ok->is_bool() && ok->as_bool()) {
    const json::value* result = object.if_contains("result");
    return result != nullptr && result->is_object() ? result->as_object() : json::object{};
  }
  Error error{ErrorCode::kInternal, "malformed error response"};
  if (const json::value* e = object.if_contains("error"); e != nullptr && e->is_object()) {
    const json::object& eo = e->as_object();
    if (const json::value* code = eo.if_contains("code"); code && code->is_string()) {
      error.code = ParseErrorCode(code->as_string()).value_or(ErrorCode::kInternal);
    }
    if (const json::value* message = eo.if_contains("message"); message && message->is_string()) {
      error.message = std::string(message->as_string());
    }
  }
  throw ControlCallError(std::move(error));
}

}  // namespace mgw::control
