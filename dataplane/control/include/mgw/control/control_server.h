#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "mgw/control/control_protocol.h"

namespace mgw::control {

// What the dataplane does with a command. Called on the control thread, one command at a time
// (whatever the number of connected clients), so implementations need no locking of their own.
class ControlService {
 public:
  virtual ~ControlService() = default;
  virtual std::variant<boost::json::object, Error> Handle(const Command& command) = 0;

  // Requests that arrive together (a client that sends several without waiting) are handled as
  // one batch: between BeginBatch and EndBatch, Handle may return success for a change before it
  // is in force; EndBatch returns once every change of the batch is, or with the error that
  // kept one from it. The batch's answers are sent only after EndBatch, so an `"ok": true` still
  // means the change is in force.
  virtual void BeginBatch() {}
  virtual std::optional<Error> EndBatch() { return std::nullopt; }
};

// Serves the protocol on a Unix stream socket, on its own thread.
class ControlServer {
 public:
  ControlServer(std::string socket_path, ControlService& service);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds (replacing a stale socket file that nobody listens on; refusing to take over a live
  // one) with mode 0660, and starts serving. Throws std::runtime_error naming the path.
  void Start();
  void Stop();  // idempotent
  const std::string& path() const { return path_; }

  struct Impl;

 private:
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

// The error a ControlClient call got back from the dataplane.
class ControlCallError : public std::runtime_error {
 public:
  explicit ControlCallError(Error error);
  const Error& error() const { return error_; }

 private:
  Error error_;
};

// A blocking client (mgwctl, the control plane, tests). Not thread-safe: one call at a time.
class ControlClient {
 public:
  // Connects; throws std::runtime_error naming the path when it cannot.
  explicit ControlClient(const std::string& socket_path);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // The result object, or ControlCallError; std::runtime_error when the connection fails.
  boost::json::object Call(const Command& command);
  // Sends the commands without waiting for each answer, up to 256 at a time (the dataplane
  // applies what arrives together as one batch), and returns the results in order. Every command
  // is sent and answered; then the first failure, if any, is thrown as ControlCallError.
  std::vector<boost::json::object> CallAll(const std::vector<Command>& commands);
  // Sends one raw line and returns the raw response line (protocol tests).
  std::string CallRaw(const std::string& line);

 private:
  std::string ReadLine();
  void SendAll(const std::string& text);
  // The result of one answer line, or throws (ControlCallError for an error answer).
  static boost::json::object ParseAnswer(const std::string& line, int64_t id);

  int fd_ = -1;
  int64_t next_id_ = 1;
  std::string buffer_;
};

}  // namespace mgw::control
