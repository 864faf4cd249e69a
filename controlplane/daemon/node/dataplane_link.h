#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mgw/control/control_protocol.h"
#include "mgw/control/control_server.h"

namespace mgw::controlplane {

// The control plane's one connection to its local dataplane's control socket, shared by the
// signalling threads and the node registry. Calls are serialized (ControlClient is blocking and
// one-at-a-time). A broken connection is dropped; the next Connect() makes a new one and bumps
// the generation, which tells the registry that the dataplane must be programmed again.
class DataplaneLink {
 public:
  explicit DataplaneLink(std::string socket_path) : socket_path_(std::move(socket_path)) {}

  // Connects when not connected and returns the `hello` result; throws std::runtime_error.
  boost::json::object Connect();
  bool connected() const;
  std::uint64_t generation() const;
  const std::string& socket_path() const { return socket_path_; }

  // The result, or ControlCallError (the dataplane refused; the link stays up), or
  // std::runtime_error (not connected, or the connection broke: the link is dropped).
  boost::json::object Call(const control::Command& command);
  // The commands pipelined (ControlClient::CallAll): every one is sent and answered, then the
  // first refusal is thrown as ControlCallError; a broken connection as for Call.
  std::vector<boost::json::object> CallAll(const std::vector<control::Command>& commands);

 private:
  const std::string socket_path_;
  mutable std::mutex mutex_;
  std::unique_ptr<control::ControlClient> client_;
  std::uint64_t generation_ = 0;
};

}  // namespace mgw::controlplane
