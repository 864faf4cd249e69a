// The HTTP server on the wire: what its own parser and header formatting must get exactly right
// (pipelining, requests split across segments, large answers, HEAD, HTTP/1.0, Connection:
// close, chunked bodies, bodiless statuses, the handler's fields) and the hand-over of a plain
// connection to a WebSocket handler. Real sockets on loopback; Beast's parser reads the answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "echo_websocket.h"
#include "mgw/common/http_server.h"
#include "mgw/common/http_upgrade.h"

namespace mgw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

// One client connection that sends raw bytes and reads answers one at a time.
class Connection {
 public:
  explicit Connection(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket_.set_option(tcp::no_delay(true));  // each Send leaves as its own segment
  }

  void Send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The next answer; `head` for the answer to a HEAD request (a header block alone).
  bhttp::response<bhttp::string_body> Read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(head);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }

  // Everything until the server closes (after the answers already read).
  std::string ReadToEnd() {
    std::string rest = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    std::array<char, 4096> chunk;
    for (;;) {
      beast::error_code ec;
      size_t n = socket_.read_some(asio::buffer(chunk), ec);
      rest.append(chunk.data(), n);
      if (ec == asio::error::eof) return rest;
      if (ec) throw beast::system_error(ec);
    }
  }

  bool Closed() {
    char byte;
    beast::error_code ec;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string Get(std::string_view target, std::string_view id = {}) {
  std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n";
  if (!id.empty()) request += "X-Request-Id: " + std::string(id) + "\r\n";
  return request + "\r\n";
}

std::string Post(std::string_view target, std::string_view body, std::string_view id = {}) {
  std::string request = "POST " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n";
  if (!id.empty()) request += "X-Request-Id: " + std::string(id) + "\r\n";
  return request + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

class HttpWireTest : public ::testing::Test {
 protected:
  static constexpr size_t kLarge = 8 << 20;  // far more than a socket buffer takes at once

  void SetUp() override {
    ServerOptions options;
    options.max_body_bytes = 1 << 20;
    options.max_header_bytes = 8192;
    options.threads = 2;
    options.upgrade = [this](std::unique_ptr<UpgradeRequest> upgrade) {
      auto socket = std::make_shared<test::EchoWebSocket>(std::move(upgrade), true);
      {
        std::lock_guard lock(mutex_);
        sockets_.push_back(socket);
      }
      socket->Start();
    };
    server_ = std::make_unique<Server>(options, [](const Request& request) {
      if (request.path == "/echo") {
        Response response = Response::Text(200, request.body);
        response.headers.emplace_back("x-method", request.method);
        response.headers.emplace_back("x-query", request.query);
        return response;
      }
      if (request.path == "/large") return Response::Text(200, std::string(kLarge, 'L'));
      if (request.path == "/empty") return Response{204, "application/json", {}, {}};
      if (request.path == "/fields") {
        Response response = Response::Json(200, "{}");
        response.headers.emplace_back("x-twice", "first");
        response.headers.emplace_back("content-type", "application/x-replaced");
        response.headers.emplace_back("x-twice", "second");
        response.headers.emplace_back("x-split", "a\r\nx-injected: yes");
        response.headers.emplace_back("content-length", "999");
        return response;
      }
      if (request.path == "/peer") return Response::Text(200, request.remote_address);
      return Response::Problem(404, "/problems/not-found", "Not found");
    });
    server_->Start();
    port_ = server_->port();
  }

  void TearDown() override {
    {
      std::lock_guard lock(mutex_);
      for (const auto& socket : sockets_) socket->Abort();
    }
    server_->Stop();
    sockets_.clear();
    server_.reset();
  }

  // Echoes text messages; the handed-over stream must be usable from the server's threads.
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<std::shared_ptr<test::EchoWebSocket>> sockets_;
};

TEST_F(HttpWireTest, PipelinedRequestsAreAnsweredInOrder) {
  Connection connection(port_);
  std::string batch;
  for (int i = 0; i < 50; ++i) {
    const std::string n = std::to_string(i);
    batch += i % 2 == 0 ? Post("/echo?n=" + n, "body-" + n, "id-" + n) : Get("/echo?n=" + n);
  }
  connection.Send(batch);  // one write: the server finds many requests in one read
  std::vector<std::string> generated;
  for (int i = 0; i < 50; ++i) {
    auto response = connection.Read();
    const std::string n = std::to_string(i);
    ASSERT_EQ(response.result_int(), 200) << i;
    EXPECT_EQ(response["x-query"], "n=" + n);
    if (i % 2 == 0) {
      EXPECT_EQ(response["x-method"], "POST");
      EXPECT_EQ(response.body(), "body-" + n);
      EXPECT_EQ(response["x-request-id"], "id-" + n);
    } else {
      EXPECT_EQ(response["x-method"], "GET");
      EXPECT_EQ(response.body(), "");
      EXPECT_EQ(response["x-request-id"].size(), 24u);
      generated.emplace_back(response["x-request-id"]);
    }
    EXPECT_TRUE(response.keep_alive());
  }
  std::sort(generated.begin(), generated.end());
  EXPECT_EQ(std::unique(generated.begin(), generated.end()), generated.end());
}

TEST_F(HttpWireTest, ARequestSplitIntoManySegmentsIsAssembled) {
  Connection connection(port_);
  const std::string body(3000, 'b');
  const std::string request =
      "POST /echo?split=1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: split\r\n"
      "X-Filler: " +
      std::string(2000, 'f') + "\r\nContent-Length: 3000\r\n\r\n" + body;
  for (size_t at = 0; at < request.size(); at += 7) connection.Send(request.substr(at, 7));
  auto response = connection.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), body);
  EXPECT_EQ(response["x-request-id"], "split");
  // The connection goes on: the next request, sent whole, is answered too.
  connection.Send(Get("/echo?after=1"));
  EXPECT_EQ(connection.Read()["x-query"], "after=1");
}

TEST_F(HttpWireTest, ALargeAnswerArrivesWholeAndTheConnectionGoesOn) {
  Connection connection(port_);
  connection.Send(Get("/large") + Get("/echo?next=1", "after-large"));
  auto large = connection.Read();
  EXPECT_EQ(large.result_int(), 200);
  ASSERT_EQ(large.body().size(), kLarge);
  EXPECT_EQ(large.body().find_first_not_of('L'), std::string::npos);
  auto next = connection.Read();
  EXPECT_EQ(next["x-query"], "next=1");
  EXPECT_EQ(next["x-request-id"], "after-large");
}

TEST_F(HttpWireTest, HeadGetsTheLengthButNoBody) {
  Connection connection(port_);
  connection.Send("HEAD /large HTTP/1.1\r\nHost: x\r\n\r\n" + Get("/echo?after=head"));
  auto head = connection.Read(true);
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[bhttp::field::content_length], std::to_string(kLarge));
  // Had a body followed, this would read its bytes as the next answer and fail.
  auto next = connection.Read();
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(next["x-query"], "after=head");
}

TEST_F(HttpWireTest, Http10IsAnsweredIn10AndClosed) {
  Connection connection(port_);
  connection.Send("GET /echo?v=10 HTTP/1.0\r\n\r\n");
  std::string raw = connection.ReadToEnd();
  EXPECT_TRUE(raw.starts_with("HTTP/1.0 200 OK\r\n")) << raw;
  EXPECT_EQ(raw.find("Connection:"), std::string::npos) << raw;
  // With keep-alive asked for, it says so and stays open.
  Connection kept(port_);
  kept.Send("GET /echo?v=10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto response = kept.Read();
  EXPECT_EQ(response.version(), 10u);
  EXPECT_EQ(response[bhttp::field::connection], "keep-alive");
  kept.Send("GET /echo?again=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(kept.Read()["x-query"], "again=1");
}

TEST_F(HttpWireTest, ConnectionCloseIsHonoured) {
  Connection connection(port_);
  connection.Send("GET /echo?bye=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto response = connection.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[bhttp::field::connection], "close");
  EXPECT_TRUE(connection.Closed());
}

TEST_F(HttpWireTest, ChunkedBodiesAreJoined) {
  Connection connection(port_);
  connection.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1;ext=1\r\n,\r\n6\r\n world\r\n0\r\n\r\n");
  auto response = connection.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "hello, world");
}

TEST_F(HttpWireTest, NoContentHasNoLengthAndNoBody) {
  Connection connection(port_);
  connection.Send(Get("/empty") + Get("/echo?after=204"));
  auto empty = connection.Read();
  EXPECT_EQ(empty.result_int(), 204);
  EXPECT_EQ(empty.count(bhttp::field::content_length), 0u);
  EXPECT_EQ(connection.Read()["x-query"], "after=204");
}

// The handler's fields: a later one of a name replaces an earlier one (Content-Type included),
// a field with a line break is left out rather than splitting the header block, and the length
// is always the server's.
TEST_F(HttpWireTest, HandlerFieldsAreWrittenSafely) {
  Connection connection(port_);
  connection.Send(Get("/fields"));
  auto response = connection.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.count("x-twice"), 1u);
  EXPECT_EQ(response["x-twice"], "second");
  EXPECT_EQ(response.count(bhttp::field::content_type), 1u);
  EXPECT_EQ(response[bhttp::field::content_type], "application/x-replaced");
  EXPECT_EQ(response.count("x-split"), 0u);
  EXPECT_EQ(response.count("x-injected"), 0u);
  EXPECT_EQ(response[bhttp::field::content_length], "2");
  EXPECT_EQ(response.body(), "{}");
  EXPECT_EQ(response[bhttp::field::server], "mgw");
}

TEST_F(HttpWireTest, TheRemoteAddressIsThePeers) {
  Connection connection(port_);
  for (int i = 0; i < 2; ++i) {  // the second request on the connection keeps it
    connection.Send(Get("/peer"));
    EXPECT_EQ(connection.Read().body(), "127.0.0.1");
  }
}

// A plain connection that asks for a WebSocket after an ordinary request is handed over with
// what it already sent; the echo runs on the server's threads.
TEST_F(HttpWireTest, WebSocketUpgradeAfterARequest) {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws(io);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  // An ordinary request first, on the same connection.
  bhttp::request<bhttp::string_body> request(bhttp::verb::get, "/echo?first=1", 11);
  request.set(bhttp::field::host, "x");
  bhttp::write(ws.next_layer(), request);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(ws.next_layer(), buffer, response);
  ASSERT_EQ(response["x-query"], "first=1");
  websocket::response_type handshake;
  ws.handshake(handshake, "x", "/ws");
  EXPECT_EQ(handshake.result_int(), 101);
  for (const std::string text : {"one", "two"}) {
    ws.write(asio::buffer(text));
    beast::flat_buffer received;
    ws.read(received);
    EXPECT_EQ(beast::buffers_to_string(received.data()), "/ws:" + text);
  }
  ws.close(websocket::close_code::normal);
}

// Many connections at once, each with several requests, on the server's two threads.
TEST_F(HttpWireTest, ConcurrentConnectionsEachGetTheirOwnAnswers) {
  constexpr int kClients = 8;
  constexpr int kRequests = 200;
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Connection connection(port_);
      for (int i = 0; i < kRequests; ++i) {
        const std::string body = std::to_string(c) + "/" + std::to_string(i);
        connection.Send(Post("/echo", body, "c" + body));
        auto response = connection.Read();
        if (response.body() != body || response["x-request-id"] != "c" + body) ++wrong;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace mgw::http
