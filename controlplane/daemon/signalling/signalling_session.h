#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mgw/common/http_upgrade.h"
#include "mgw/service/caller.h"
#include "mgw/service/room_service.h"

namespace mgw::controlplane {

class SignallingHandler;

// What the protocol knows about one socket; touched only on the session's strand.
struct SessionState {
  std::optional<service::Caller> caller;  // once authenticated
  std::string meeting_id;                 // once INIT or JOIN named it
  bool joined = false;                    // has an open participation through this socket
  std::int64_t participation_id = 0;      // when joined
  std::string node_id;                    // when joined: the meeting's dataplane node
  // Admitted to a conference by alias and PIN (INIT with `conference`): no account, no caller.
  std::optional<service::RoomAdmission> room;
  bool waiting = false;                     // a room guest's JOIN waits for a host
  std::optional<std::string> waiting_name;  // that JOIN's display_name
  bool waiting_srtp = true;                 // and encryption
  std::optional<std::uint8_t> waiting_rtx;  // and rtx_payload_type
  bool closing = false;
};

struct SessionTimeouts {
  // Idle this long, the server pings; no answer within as long again, the client is dropped.
  std::chrono::milliseconds ping_interval{15000};
  // An unauthenticated socket must send INIT with a token within this.
  std::chrono::milliseconds init_deadline{10000};
};

// One WebSocket signalling connection (Beast): accepts the upgrade, reads text messages one at a
// time and hands each to the SignallingHandler on this connection's strand, and writes queued
// messages in order. Send and Close may be called from any thread.
class SignallingSession : public std::enable_shared_from_this<SignallingSession> {
 public:
  SignallingSession(std::unique_ptr<http::UpgradeRequest> upgrade, SignallingHandler& handler,
                    SessionTimeouts timeouts);

  void Start(std::optional<service::Caller> caller);
  void Send(std::string text);
  // Closes once every queued message is written; `policy`: close code 1008 instead of 1000.
  void Close(bool policy = false);

  // Drops the connection at once (shutdown).
  void Abort();
  // Runs `work` on this connection's strand (from any thread), unless the session is closing.
  void Post(std::function<void()> work);

  SessionState& state() { return state_; }
  const std::string& remote_address() const { return request_.remote_address; }

 private:
  void Read();
  void OnRead(boost::beast::error_code ec);
  void WriteNext();
  void Finish();

  http::Request request_;
  boost::beast::http::request<boost::beast::http::string_body> message_;
  boost::beast::websocket::stream<http::Stream> ws_;  // plain or TLS
  boost::beast::flat_buffer buffer_;
  boost::asio::steady_timer init_timer_;
  SignallingHandler& handler_;
  SessionTimeouts timeouts_;
  SessionState state_;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  std::optional<bool> close_requested_;  // value: policy violation
  bool finished_ = false;
};

}  // namespace mgw::controlplane
