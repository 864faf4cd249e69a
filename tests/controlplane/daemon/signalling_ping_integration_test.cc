// Server pings: a client that answers stays, one that does not is dropped. In-process (the
// signalling server of mgw_controlplane_app on a real http::Server and real sockets) so the ping
// interval can be short.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>

#include "mgw/common/http_server.h"
#include "mgw/common/http_upgrade.h"
#include "mgw/service/services.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/migrations.h"
#include "signalling/signalling_server.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace websocket = boost::beast::websocket;

class SignallingPingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::MigrateToLatest(*db_, clock_);
    services_.accounts.SignUp({.email = "alice@example.com", .password = "correct-horse-1"},
                              nullptr);
    token_ = services_.accounts
                 .Login({.email = "alice@example.com",
                         .password = "correct-horse-1",
                         .expires_in_seconds = std::nullopt,
                         .source_address = "127.0.0.1"})
                 .token;
    http::ServerOptions options;
    options.upgrade = [this](std::unique_ptr<http::UpgradeRequest> upgrade) {
      signalling_.Accept(std::move(upgrade));
    };
    server_ = std::make_unique<http::Server>(
        options, [](const http::Request&) { return http::Response::Text(404, "no"); });
    server_->Start();
  }

  void TearDown() override {
    signalling_.CloseAll();
    server_->Stop();
  }

  TempDir dir_{"mgw-ping"};
  storage::SystemClock clock_;
  std::unique_ptr<storage::Database> db_ = storage::OpenDatabase(dir_.File("mgw.db"));
  service::Services services_{*db_, clock_};
  controlplane::SignallingServer signalling_{
      services_, nullptr, "node", {.ping_interval = 200ms, .init_deadline = 10s}};
  std::unique_ptr<http::Server> server_;
  std::string token_;
};

TEST_F(SignallingPingTest, ClientThatAnswersPingsStays) {
  boost::asio::io_context io;
  websocket::stream<boost::asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
  ws.set_option(websocket::stream_base::decorator([this](websocket::request_type& request) {
    request.set(boost::beast::http::field::authorization, "Bearer " + token_);
  }));
  ws.handshake("127.0.0.1", "/signalling");
  // Reading answers each ping with a pong. After ten pings (ten intervals, five times the time
  // an unanswered client is given) the client itself stops reading; a server that had dropped it
  // would have ended the read with fewer.
  int pings = 0;
  const int fd = ws.next_layer().native_handle();
  ws.control_callback([&pings, fd](websocket::frame_type kind, boost::beast::string_view) {
    if (kind == websocket::frame_type::ping && ++pings == 10) ::shutdown(fd, SHUT_RD);
  });
  boost::beast::flat_buffer buffer;
  boost::beast::error_code ec;
  ws.read(buffer, ec);
  EXPECT_EQ(pings, 10) << ec.message();
}

TEST_F(SignallingPingTest, ClientThatDoesNotAnswerIsDropped) {
  boost::asio::io_context io;
  websocket::stream<boost::asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
  ws.set_option(websocket::stream_base::decorator([this](websocket::request_type& request) {
    request.set(boost::beast::http::field::authorization, "Bearer " + token_);
  }));
  ws.handshake("127.0.0.1", "/signalling");
  // Never read, so never pong: the server hangs up (the peer's FIN shows as POLLRDHUP; the
  // pings before it only as POLLIN).
  pollfd p{ws.next_layer().native_handle(), POLLRDHUP, 0};
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  EXPECT_TRUE(p.revents & POLLRDHUP);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
}

}  // namespace
}  // namespace mgw::testing
