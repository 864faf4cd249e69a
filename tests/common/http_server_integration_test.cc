#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mgw/common/admin_endpoints.h"
#include "mgw/common/http_server.h"

namespace mgw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// A real HTTP peer: Beast's client over a real TCP connection to the server on loopback.
bhttp::response<bhttp::string_body> Fetch(uint16_t port, bhttp::verb verb,
                                          const std::string& target, const std::string& body = {},
                                          std::size_t extra_header_bytes = 0,
                                          const std::string& request_id = {}) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  bhttp::request<bhttp::string_body> request(verb, target, 11);
  request.set(bhttp::field::host, "127.0.0.1");
  if (extra_header_bytes > 0) request.set("x-filler", std::string(extra_header_bytes, 'a'));
  if (!request_id.empty()) request.set("x-request-id", request_id);
  request.body() = body;
  request.prepare_payload();
  beast::error_code write_error;  // an early answer stops the server reading our body
  bhttp::write(stream, request, write_error);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  beast::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return response;
}

// Raw bytes in, the server's answer out: for requests Beast's client would refuse to write.
bhttp::response<bhttp::string_body> SendRaw(uint16_t port, const std::string& bytes) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(stream, asio::buffer(bytes));
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  return response;
}

// 24 lower-case hex digits: an id the server made.
bool IsGeneratedId(std::string_view id) {
  if (id.size() != 24) return false;
  return id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.AddCounter("test_requests_total", "Requests seen.").Get().Inc(5);
    admin_ = std::make_unique<AdminEndpoints>(registry_, [this] { return ready_; });
    ServerOptions options;
    options.max_body_bytes = 1024;
    options.max_header_bytes = 2048;
    server_ = std::make_unique<Server>(options, [this](const Request& request) {
      if (auto response = admin_->Handle(request)) return *response;
      if (request.path == "/echo") return Response::Text(200, request.body);
      if (request.path == "/throw") throw std::runtime_error("boom");
      return Response::Problem(404, "/problems/not-found", "Not found");
    });
    server_->Start();
    port_ = server_->port();
  }

  metrics::Registry registry_;
  ReadyState ready_{false, "database not open"};
  std::unique_ptr<AdminEndpoints> admin_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, HealthzIsAlways200) {
  auto response = Fetch(port_, bhttp::verb::get, "/healthz");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), R"({"status":"ok"})");
}

TEST_F(HttpServerTest, ReadyzFollowsReadiness) {
  auto response = Fetch(port_, bhttp::verb::get, "/readyz");
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_EQ(response[bhttp::field::content_type], "application/problem+json");
  EXPECT_NE(response.body().find("database not open"), std::string::npos);
  ready_ = {true, ""};
  EXPECT_EQ(Fetch(port_, bhttp::verb::get, "/readyz").result_int(), 200);
}

TEST_F(HttpServerTest, MetricsUseTheTextFormat) {
  auto response = Fetch(port_, bhttp::verb::get, "/metrics");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[bhttp::field::content_type], metrics::kContentType);
  EXPECT_NE(response.body().find("test_requests_total 5\n"), std::string::npos);
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  auto response = Fetch(port_, bhttp::verb::post, "/healthz");
  EXPECT_EQ(response.result_int(), 405);
  EXPECT_EQ(response[bhttp::field::allow], "GET, HEAD");
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  auto response = Fetch(port_, bhttp::verb::post, "/echo", std::string(4096, 'x'));
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(response[bhttp::field::content_type], "application/problem+json");
  EXPECT_EQ(Fetch(port_, bhttp::verb::post, "/echo", "small").body(), "small");
}

// A body far larger than the socket buffers: the server answers before the client has finished
// sending, and the answer must still arrive (no connection reset destroying it).
TEST_F(HttpServerTest, EarlyAnswerToAHugeBodyStillArrives) {
  for (int i = 0; i < 10; ++i) {
    auto response = Fetch(port_, bhttp::verb::post, "/echo", std::string(4 << 20, 'x'));
    ASSERT_EQ(response.result_int(), 413) << "attempt " << i;
  }
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  auto response = Fetch(port_, bhttp::verb::get, "/healthz", {}, 4096);
  EXPECT_EQ(response.result_int(), 431);
}

TEST_F(HttpServerTest, HandlerExceptionIs500Problem) {
  auto response = Fetch(port_, bhttp::verb::get, "/throw");
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_EQ(response.body().find("boom"), std::string::npos);  // internals stay inside
}

TEST_F(HttpServerTest, StopClosesIdleKeepAliveConnections) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  bhttp::request<bhttp::string_body> request(bhttp::verb::get, "/healthz", 11);
  request.keep_alive(true);
  bhttp::write(stream, request);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  EXPECT_TRUE(response.keep_alive());
  server_->Stop();  // must not wait for the idle connection's 60 s timeout
  beast::error_code ec;
  char byte;
  stream.socket().read_some(asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(HttpServerTest, EveryResponseCarriesARequestId) {
  auto ok = Fetch(port_, bhttp::verb::get, "/healthz");
  EXPECT_TRUE(IsGeneratedId(ok["x-request-id"])) << ok["x-request-id"];
  auto echoed = Fetch(port_, bhttp::verb::get, "/healthz", {}, 0, "client-id-1");
  EXPECT_EQ(echoed["x-request-id"], "client-id-1");
  auto failed = Fetch(port_, bhttp::verb::get, "/throw", {}, 0, "client-id-2");
  EXPECT_EQ(failed.result_int(), 500);
  EXPECT_EQ(failed["x-request-id"], "client-id-2");
  // Two ids made for two requests differ.
  EXPECT_NE(ok["x-request-id"], Fetch(port_, bhttp::verb::get, "/healthz")["x-request-id"]);
}

// The server's own answers, written before a lingering close, carry one too: the client's when
// its header block was read, a new one otherwise.
TEST_F(HttpServerTest, OversizedBodyAnswerEchoesTheRequestId) {
  auto response = Fetch(port_, bhttp::verb::post, "/echo", std::string(4096, 'x'), 0, "big-1");
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(response["x-request-id"], "big-1");
  auto huge = Fetch(port_, bhttp::verb::post, "/echo", std::string(4 << 20, 'x'), 0, "big-2");
  EXPECT_EQ(huge.result_int(), 413);
  EXPECT_EQ(huge["x-request-id"], "big-2");
}

TEST_F(HttpServerTest, OversizedHeaderAnswerHasANewRequestId) {
  auto response = Fetch(port_, bhttp::verb::get, "/healthz", {}, 4096, "never-read");
  EXPECT_EQ(response.result_int(), 431);
  EXPECT_TRUE(IsGeneratedId(response["x-request-id"])) << response["x-request-id"];
}

TEST_F(HttpServerTest, MalformedRequestIs400WithARequestId) {
  auto response = SendRaw(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response[bhttp::field::content_type], "application/problem+json");
  EXPECT_TRUE(IsGeneratedId(response["x-request-id"])) << response["x-request-id"];
  // A bad chunked body: the header block was read, so the client's id comes back.
  auto chunked = SendRaw(port_,
                         "POST /echo HTTP/1.1\r\nHost: x\r\nX-Request-Id: chunky\r\n"
                         "Transfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_EQ(chunked.result_int(), 400);
  EXPECT_EQ(chunked["x-request-id"], "chunky");
}

TEST_F(HttpServerTest, AnInsaneClientIdIsReplaced) {
  auto response =
      Fetch(port_, bhttp::verb::get, "/healthz", {}, 0, std::string(200, 'a'));  // too long
  EXPECT_TRUE(IsGeneratedId(response["x-request-id"])) << response["x-request-id"];
  EXPECT_FALSE(SaneRequestId("has space"));
  EXPECT_FALSE(SaneRequestId(""));
  EXPECT_TRUE(SaneRequestId("abc-123_DEF"));
}

// Generated ids are unique within a thread and across threads (each thread counts up from its
// own random start).
TEST(RequestIdTest, GeneratedIdsAreUniqueAcrossThreads) {
  constexpr int kPerThread = 20000;
  std::vector<std::string> a, b;
  std::thread other([&] {
    for (int i = 0; i < kPerThread; ++i) b.push_back(NewRequestId());
  });
  for (int i = 0; i < kPerThread; ++i) a.push_back(NewRequestId());
  other.join();
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 2u * kPerThread);
  for (const std::string& id : {a.front(), b.back()}) {
    EXPECT_EQ(id.size(), 24u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  }
}

TEST(HttpServerBindTest, BindFailureNamesTheAddress) {
  Server first({}, [](const Request&) { return Response::Text(200, ""); });
  first.Start();
  ServerOptions options;
  options.port = first.port();
  Server second(options, [](const Request&) { return Response::Text(200, ""); });
  try {
    second.Start();
    FAIL() << "second bind succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.port())),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mgw::http
