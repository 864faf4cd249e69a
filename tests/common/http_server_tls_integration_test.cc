#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "child_process.h"
#include "echo_websocket.h"
#include "mgw/common/http_server.h"
#include "mgw/common/http_upgrade.h"
#include "temp_dir.h"
#include "test_certificate.h"

namespace mgw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace websocket = boost::beast::websocket;
using testing::ChildProcess;
using testing::TempDir;
using testing::TestCertificate;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

void ConnectTls(TlsStream& stream, uint16_t port) {
  beast::get_lowest_layer(stream).connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  stream.handshake(ssl::stream_base::client);
}

// Runs a program (curl) to completion; its exit status and output.
std::pair<int, std::string> RunProgram(std::vector<std::string> args) {
  ChildProcess child({.args = std::move(args), .env = {}, .unset_env = {}});
  std::optional<int> status = child.WaitForExit(std::chrono::seconds(30));
  return {status.value_or(-1), child.output()};
}

// A real HTTPS server: the echo handler, and a WebSocket upgrade handler that echoes each
// message back over websocket::stream<Stream> (the same stream type the signalling server uses).
class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certificate_ = testing::MakeTestCertificate(dir_, "server");
    ServerOptions options;
    options.max_body_bytes = 1024;
    options.tls = TlsFiles{certificate_.cert_file, certificate_.key_file};
    options.upgrade = [this](std::unique_ptr<UpgradeRequest> upgrade) {
      EXPECT_TRUE(upgrade->stream.is_tls());
      auto socket = std::make_shared<test::EchoWebSocket>(std::move(upgrade), false);
      {
        std::lock_guard lock(mutex_);
        sockets_.push_back(socket);
      }
      socket->Start();
    };
    server_ = std::make_unique<Server>(options, [](const Request& request) {
      if (request.path == "/echo") return Response::Text(200, request.body);
      return Response::Problem(404, "/problems/not-found", "Not found");
    });
    server_->Start();
    port_ = server_->port();
  }

  // The sockets go before the server's io_context, which their websocket streams are part of.
  void TearDown() override {
    std::lock_guard lock(mutex_);
    for (const auto& socket : sockets_) socket->Abort();
    server_->Stop();
    sockets_.clear();
    server_.reset();
  }

  std::string Url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }

  TempDir dir_{"mgw-tls"};
  TestCertificate certificate_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<std::shared_ptr<test::EchoWebSocket>> sockets_;
};

TEST_F(HttpsServerTest, CurlFetchesOverHttps) {
  auto [status, output] =
      RunProgram({"/usr/bin/curl", "-sS", "--include", "--cacert", certificate_.cert_file, "--data",
                  "hello over tls", Url("/echo")});
  ASSERT_EQ(status, 0) << output;
  EXPECT_NE(output.find("HTTP/1.1 200"), std::string::npos) << output;
  EXPECT_NE(output.find("x-request-id: "), std::string::npos) << output;
  EXPECT_NE(output.find("hello over tls"), std::string::npos) << output;
}

TEST_F(HttpsServerTest, CurlRefusesTheServerWithoutTheCa) {
  // The check that the certificate is really verified: without --cacert curl must fail.
  auto [status, output] = RunProgram({"/usr/bin/curl", "-sS", Url("/echo")});
  EXPECT_EQ(status, 60) << output;  // CURLE_PEER_FAILED_VERIFICATION
}

TEST_F(HttpsServerTest, OwnClientKeepsTheConnectionAndGets413) {
  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(certificate_.cert_file);
  context.set_verify_mode(ssl::verify_peer);
  asio::io_context io;
  TlsStream stream(io, context);
  ConnectTls(stream, port_);
  EXPECT_GE(SSL_version(stream.native_handle()), TLS1_2_VERSION);
  beast::flat_buffer buffer;
  for (int i = 0; i < 2; ++i) {  // two requests on one TLS connection
    bhttp::request<bhttp::string_body> request(bhttp::verb::post, "/echo", 11);
    request.set(bhttp::field::host, "127.0.0.1");
    request.body() = "round " + std::to_string(i);
    request.prepare_payload();
    bhttp::write(stream, request);
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(response.body(), "round " + std::to_string(i));
  }
  bhttp::request<bhttp::string_body> big(bhttp::verb::post, "/echo", 11);
  big.set(bhttp::field::host, "127.0.0.1");
  big.set("x-request-id", "tls-big");
  big.body() = std::string(4096, 'x');
  big.prepare_payload();
  beast::error_code write_error;  // the server may answer before reading it all
  bhttp::write(stream, big, write_error);
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(response["x-request-id"], "tls-big");
}

TEST_F(HttpsServerTest, WebSocketOverTls) {
  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(certificate_.cert_file);
  context.set_verify_mode(ssl::verify_peer);
  asio::io_context io;
  websocket::stream<TlsStream> ws(io, context);
  ConnectTls(ws.next_layer(), port_);
  websocket::response_type handshake;
  ws.handshake(handshake, "127.0.0.1", "/ws");
  EXPECT_EQ(handshake.result_int(), 101);
  for (const std::string text : {"first", "second"}) {
    ws.write(asio::buffer(text));
    beast::flat_buffer buffer;
    ws.read(buffer);
    EXPECT_EQ(beast::buffers_to_string(buffer.data()), text);
  }
  ws.close(websocket::close_code::normal);
}

TEST_F(HttpsServerTest, PlainHttpToTheTlsPortIsRefusedCleanly) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  bhttp::request<bhttp::string_body> request(bhttp::verb::get, "/echo", 11);
  request.set(bhttp::field::host, "127.0.0.1");
  bhttp::write(stream, request);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response[bhttp::field::content_type], "application/problem+json");
  EXPECT_NE(response.body().find("/problems/tls-required"), std::string::npos);
  EXPECT_FALSE(response["x-request-id"].empty());
  EXPECT_FALSE(response.keep_alive());
  // And the connection is closed after it.
  beast::error_code ec;
  char byte;
  stream.socket().read_some(asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();

  auto [status, output] = RunProgram(
      {"/usr/bin/curl", "-sS", "--include", "http://127.0.0.1:" + std::to_string(port_) + "/echo"});
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("HTTP/1.1 400"), std::string::npos) << output;
}

TEST_F(HttpsServerTest, Tls11ClientIsRefused) {
  // A client that offers at most TLS 1.1 (allowed at security level 0 so that only the server's
  // minimum can refuse it).
  ssl::context context(ssl::context::tls_client);
  SSL_CTX_set_security_level(context.native_handle(), 0);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(context.native_handle(), TLS1_1_VERSION);
  asio::io_context io;
  TlsStream stream(io, context);
  beast::get_lowest_layer(stream).connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  beast::error_code ec;
  stream.handshake(ssl::stream_base::client, ec);
  EXPECT_TRUE(ec) << "a TLS 1.1 handshake succeeded";
}

// What Server::Start and CheckTlsFiles say about files they cannot use.
class TlsFilesTest : public ::testing::Test {
 protected:
  std::string ErrorOf(const TlsFiles& files, TlsFileError::File expected_file) {
    try {
      CheckTlsFiles(files);
    } catch (const TlsFileError& e) {
      EXPECT_EQ(e.file(), expected_file) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "accepted";
    return "";
  }

  TempDir dir_{"mgw-tls-files"};
};

TEST_F(TlsFilesTest, GoodFilesPass) {
  TestCertificate good = testing::MakeTestCertificate(dir_, "good");
  EXPECT_NO_THROW(CheckTlsFiles({good.cert_file, good.key_file}));
}

TEST_F(TlsFilesTest, MissingFileIsNamed) {
  TestCertificate good = testing::MakeTestCertificate(dir_, "good");
  const std::string missing = dir_.File("missing.crt");
  std::string error = ErrorOf({missing, good.key_file}, TlsFileError::File::kCertificate);
  EXPECT_NE(error.find(missing), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  EXPECT_NE(ErrorOf({good.cert_file, ""}, TlsFileError::File::kKey).find("expected the path"),
            std::string::npos);
}

TEST_F(TlsFilesTest, NotPemIsRefused) {
  TestCertificate good = testing::MakeTestCertificate(dir_, "good");
  const std::string junk = dir_.Write("junk.pem", "this is not PEM\n");
  std::string cert_error = ErrorOf({junk, good.key_file}, TlsFileError::File::kCertificate);
  EXPECT_NE(cert_error.find("no usable PEM certificate"), std::string::npos) << cert_error;
  std::string key_error = ErrorOf({good.cert_file, junk}, TlsFileError::File::kKey);
  EXPECT_NE(key_error.find("no usable PEM private key"), std::string::npos) << key_error;
}

TEST_F(TlsFilesTest, KeyOfAnotherCertificateIsRefused) {
  TestCertificate one = testing::MakeTestCertificate(dir_, "one");
  TestCertificate two = testing::MakeTestCertificate(dir_, "two");
  std::string error = ErrorOf({one.cert_file, two.key_file}, TlsFileError::File::kKey);
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
  // Server::Start says the same.
  ServerOptions options;
  options.tls = TlsFiles{one.cert_file, two.key_file};
  Server server(options, [](const Request&) { return Response::Text(200, ""); });
  EXPECT_THROW(server.Start(), TlsFileError);
}

}  // namespace
}  // namespace mgw::http
