#include "signalling/signalling_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "signalling/signalling_handler.h"

namespace mgw::controlplane {
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;

SignallingSession::SignallingSession(std::unique_ptr<http::UpgradeRequest> upgrade,
                                     SignallingHandler& handler, SessionTimeouts timeouts)
    : request_(std::move(upgrade->request)),
      message_(std::move(upgrade->message)),
      ws_(std::move(upgrade->stream)),
      buffer_(std::move(upgrade->buffer)),
      init_timer_(ws_.get_executor()),
      handler_(handler),
      timeouts_(timeouts) {}

void SignallingSession::Start(std::optional<service::Caller> caller) {
  state_.caller = std::move(caller);
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = std::chrono::seconds(30);
  // Beast pings after half the idle timeout and drops the peer when the whole passes unanswered.
  timeout.idle_timeout = timeouts_.ping_interval * 2;
  timeout.keep_alive_pings = true;
  ws_.set_option(timeout);
  ws_.read_message_max(std::size_t{64} * 1024);  // the largest message (UNSUB_SUB) is ~1 KiB
  // The 101 answer carries an X-Request-Id like every other response.
  std::string request_id(request_.Header("x-request-id").value_or(""));
  if (!http::SaneRequestId(request_id)) request_id = http::NewRequestId();
  ws_.set_option(
      websocket::stream_base::decorator([request_id](websocket::response_type& response) {
        response.set("X-Request-Id", request_id);
      }));
  ws_.async_accept(message_, [self = shared_from_this()](beast::error_code ec) {
    if (ec) return self->Finish();
    if (!self->state_.caller) {
      self->init_timer_.expires_after(self->timeouts_.init_deadline);
      self->init_timer_.async_wait([self](beast::error_code timer_ec) {
        if (!timer_ec && !self->state_.caller && !self->state_.room) self->Close(true);
      });
    }
    self->Read();
  });
}

void SignallingSession::Read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->OnRead(ec);
  });
}

void SignallingSession::OnRead(beast::error_code ec) {
  if (ec) return Finish();
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  if (!state_.closing) {
    try {
      handler_.OnMessage(*this, text);
    } catch (const std::exception& e) {
      // A bug or an unreachable database: say so and keep the session.
      spdlog::error("signalling: message from {} failed: {}", remote_address(), e.what());
      handler_.SendError(*this, "", "internal error", "/problems/internal", "");
    }
  }
  Read();
}

void SignallingSession::Send(std::string text) {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
    if (self->finished_ || self->close_requested_) return;
    self->outbox_.push_back(std::move(text));
    if (!self->writing_) self->WriteNext();
  });
}

void SignallingSession::Close(bool policy) {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), policy] {
    if (self->finished_ || self->close_requested_) return;
    self->state_.closing = true;
    self->close_requested_ = policy;
    if (!self->writing_) self->WriteNext();
  });
}

void SignallingSession::Abort() {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    beast::get_lowest_layer(self->ws_).socket().close(ec);
    self->init_timer_.cancel();
  });
}

void SignallingSession::Post(std::function<void()> work) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), work = std::move(work)] {
    if (!self->finished_ && !self->state_.closing) work();
  });
}

void SignallingSession::WriteNext() {
  if (finished_) return;
  if (outbox_.empty()) {
    if (!close_requested_) return;
    writing_ = true;
    websocket::close_reason reason(*close_requested_ ? websocket::close_code::policy_error
                                                     : websocket::close_code::normal);
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {
      self->writing_ = false;
      // The read loop sees the close and finishes the session.
    });
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(asio::buffer(outbox_.front()),
                  [self = shared_from_this()](beast::error_code ec, std::size_t) {
                    self->writing_ = false;
                    if (ec) return self->Finish();
                    self->outbox_.pop_front();
                    self->WriteNext();
                  });
}

void SignallingSession::Finish() {
  if (finished_) return;
  finished_ = true;
  init_timer_.cancel();
  outbox_.clear();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
  handler_.OnClosed(*this);
}

}  // namespace mgw::controlplane
