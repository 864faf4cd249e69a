// mgw-controlplane with controlplane.tls: a real process serving HTTPS and WSS from a certificate
// made by the openssl CLI (curl and Beast as clients), and the configuration errors that stop
// start-up with exit 78 naming the key and the file.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "child_process.h"
#include "temp_dir.h"
#include "test_certificate.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace websocket = boost::beast::websocket;

constexpr int kConfigErrorExit = 78;

ChildProcess::Options ControlplaneOptions(const TempDir& dir, const std::string& cert_file,
                                          const std::string& key_file) {
  ChildProcess::Options options;
  options.args = {BinaryPath("mgw-controlplane")};
  options.env = {{"MGW_STATE_DIR", dir.path()},
                 {"MGW_RUNTIME_DIR", dir.path() + "/run"},
                 {"MGW_CONTROLPLANE_PORT", "0"},
                 {"MGW_ADMIN_PASSWORD", "admin-password-1234"},
                 {"MGW_CONTROLPLANE_TLS_ENABLED", "true"},
                 {"MGW_CONTROLPLANE_TLS_CERT_FILE", cert_file},
                 {"MGW_CONTROLPLANE_TLS_KEY_FILE", key_file}};
  options.unset_env = {"MGW_CONTROLPLANE_DATABASE_BACKEND",
                       "MGW_CONTROLPLANE_DATABASE_POSTGRESQL_URI"};
  return options;
}

// Starts mgw-controlplane with these TLS files, expects exit 78 and returns its output.
std::string ConfigFailure(const TempDir& dir, const std::string& cert_file,
                          const std::string& key_file) {
  ChildProcess child(ControlplaneOptions(dir, cert_file, key_file));
  std::optional<int> status = child.WaitForExit(30s);
  EXPECT_EQ(status, kConfigErrorExit) << child.output();
  return child.output();
}

std::pair<int, std::string> RunProgram(std::vector<std::string> args) {
  ChildProcess child({.args = std::move(args), .env = {}, .unset_env = {}});
  std::optional<int> status = child.WaitForExit(30s);
  return {status.value_or(-1), child.output()};
}

TEST(ControlplaneTlsTest, BadCertificateConfigurationStopsStartUp) {
  TempDir dir("mgw-cp-tls");
  TestCertificate one = MakeTestCertificate(dir, "one");
  TestCertificate two = MakeTestCertificate(dir, "two");
  const std::string missing = dir.File("missing.crt");
  std::string output = ConfigFailure(dir, missing, one.key_file);
  EXPECT_NE(output.find("controlplane.tls.cert_file"), std::string::npos) << output;
  EXPECT_NE(output.find(missing), std::string::npos) << output;

  const std::string junk = dir.Write("junk.pem", "not a certificate\n");
  output = ConfigFailure(dir, junk, one.key_file);
  EXPECT_NE(output.find("controlplane.tls.cert_file"), std::string::npos) << output;
  EXPECT_NE(output.find("no usable PEM certificate"), std::string::npos) << output;

  output = ConfigFailure(dir, one.cert_file, junk);
  EXPECT_NE(output.find("controlplane.tls.key_file"), std::string::npos) << output;

  output = ConfigFailure(dir, one.cert_file, two.key_file);
  EXPECT_NE(output.find("controlplane.tls.key_file"), std::string::npos) << output;
  EXPECT_NE(output.find("does not match"), std::string::npos) << output;

  output = ConfigFailure(dir, "", "");
  EXPECT_NE(output.find("controlplane.tls.cert_file"), std::string::npos) << output;
}

TEST(ControlplaneTlsTest, ServesHttpsAndWss) {
  TempDir dir("mgw-cp-tls");
  TestCertificate certificate = MakeTestCertificate(dir, "server");
  ChildProcess child(ControlplaneOptions(dir, certificate.cert_file, certificate.key_file));
  auto match = child.WaitForLine(std::regex(R"(API on https://127\.0\.0\.1:(\d+)/)"), 60s);
  ASSERT_TRUE(match) << child.output();
  const uint16_t port = static_cast<uint16_t>(std::stoi((*match)[1]));
  const std::string base = "https://127.0.0.1:" + std::to_string(port);

  auto [status, output] =
      RunProgram({"/usr/bin/curl", "-sS", "--include", "--cacert", certificate.cert_file, "-H",
                  "X-Request-Id: tls-health", base + "/healthz"});
  ASSERT_EQ(status, 0) << output;
  EXPECT_NE(output.find("HTTP/1.1 200"), std::string::npos) << output;
  EXPECT_NE(output.find("x-request-id: tls-health"), std::string::npos) << output;

  // A route of the API, with its problem body: no token.
  std::tie(status, output) = RunProgram(
      {"/usr/bin/curl", "-sS", "--include", "--cacert", certificate.cert_file, base + "/meeting"});
  ASSERT_EQ(status, 0) << output;
  EXPECT_NE(output.find("HTTP/1.1 401"), std::string::npos) << output;

  // Plain HTTP to the HTTPS port: a clear 400, not a hang.
  std::tie(status, output) = RunProgram(
      {"/usr/bin/curl", "-sS", "--include", "http://127.0.0.1:" + std::to_string(port) + "/"});
  EXPECT_NE(output.find("HTTP/1.1 400"), std::string::npos) << output;
  EXPECT_NE(output.find("/problems/tls-required"), std::string::npos) << output;

  // mgwctl over HTTPS, trusting the test's certificate through SSL_CERT_FILE, and refusing the
  // server without it.
  ChildProcess login({.args = {BinaryPath("mgwctl"), "api", "login", "admin", "admin-password-1234",
                               "--url", base},
                      .env = {{"SSL_CERT_FILE", certificate.cert_file}},
                      .unset_env = {}});
  EXPECT_EQ(login.WaitForExit(30s), 0) << login.output();
  EXPECT_FALSE(login.output().empty());
  ChildProcess untrusting({.args = {BinaryPath("mgwctl"), "api", "me", "--url", base},
                           .env = {},
                           .unset_env = {"SSL_CERT_FILE"}});
  EXPECT_EQ(untrusting.WaitForExit(30s), 69) << untrusting.output();
  EXPECT_NE(untrusting.output().find("certificate verify failed"), std::string::npos)
      << untrusting.output();

  // Signalling over WSS: the handshake (101 with an X-Request-Id), then INIT with a bad token is
  // answered ERROR and the socket closed by the server.
  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(certificate.cert_file);
  context.set_verify_mode(ssl::verify_peer);
  asio::io_context io;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(io, context);
  beast::get_lowest_layer(ws).connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws.next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  ws.next_layer().handshake(ssl::stream_base::client);
  websocket::response_type handshake;
  ws.handshake(handshake, "127.0.0.1", "/signalling");
  EXPECT_EQ(handshake.result_int(), 101);
  EXPECT_FALSE(handshake["x-request-id"].empty());
  ws.write(asio::buffer(std::string(
      R"({"content_type":"INIT","meeting_id":"m1","token":"not-a-real-token-000000000000"})")));
  beast::flat_buffer buffer;
  ws.read(buffer);
  boost::json::object error =
      boost::json::parse(beast::buffers_to_string(buffer.data())).as_object();
  EXPECT_EQ(error.at("content_type").as_string(), "ERROR") << error;
  buffer.clear();
  beast::error_code ec;
  ws.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(ws.reason().code, websocket::close_code::policy_error);
}

// `mgwctl api signalling` over wss:// (an https:// --url): trusting the server through --ca or
// not checking it (--insecure); refused (69, the TLS error named) when it cannot trust it, and
// --ca with a ws:// URL or an unreadable --ca is a usage error (64).
TEST(ControlplaneTlsTest, MgwctlSignallingOverWss) {
  TempDir dir("mgw-cp-tls");
  TestCertificate certificate = MakeTestCertificate(dir, "server");
  ChildProcess child(ControlplaneOptions(dir, certificate.cert_file, certificate.key_file));
  auto match = child.WaitForLine(std::regex(R"(API on https://127\.0\.0\.1:(\d+)/)"), 60s);
  ASSERT_TRUE(match) << child.output();
  const std::string base = "https://127.0.0.1:" + (*match)[1].str();

  ChildProcess login({.args = {BinaryPath("mgwctl"), "api", "login", "admin", "admin-password-1234",
                               "--url", base, "--json"},
                      .env = {{"SSL_CERT_FILE", certificate.cert_file}},
                      .unset_env = {}});
  ASSERT_EQ(login.WaitForExit(30s), 0) << login.output();
  const std::regex token_field(R"re("token"\s*:\s*"([^"]+)")re");
  std::smatch token;
  const std::string login_output = login.output();
  ASSERT_TRUE(std::regex_search(login_output, token, token_field)) << login_output;

  // The server's answers to JOIN (with RTX announced; no such meeting) and to a message that
  // fails its schema.
  const auto signalling = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {BinaryPath("mgwctl"), "api", "signalling", "no-such"};
    for (std::string arg :
         {std::string("--url"), base, std::string("--token"), token[1].str(), std::string("--send"),
          std::string(R"({"content_type":"LEAVE"})"), std::string("--wait"), std::string("2"),
          std::string("--rtx-payload-type"), std::string("97")}) {
      args.push_back(std::move(arg));
    }
    for (std::string& arg : extra) args.push_back(std::move(arg));
    return ChildProcess({.args = std::move(args), .env = {}, .unset_env = {"SSL_CERT_FILE"}});
  };
  for (auto extra : {std::vector<std::string>{"--ca", certificate.cert_file},
                     std::vector<std::string>{"--insecure"}}) {
    SCOPED_TRACE(extra[0]);
    ChildProcess run = signalling(extra);
    EXPECT_EQ(run.WaitForExit(30s), 0) << run.output();
    EXPECT_NE(run.output().find(R"("content_type":"JOIN_DENIED")"), std::string::npos)
        << run.output();
    EXPECT_NE(run.output().find(R"("content_type":"ERROR")"), std::string::npos) << run.output();
  }

  ChildProcess untrusting = signalling({});
  EXPECT_EQ(untrusting.WaitForExit(30s), 69) << untrusting.output();
  EXPECT_NE(untrusting.output().find("certificate verify failed"), std::string::npos)
      << untrusting.output();
  // Another certificate as the CA: the server's is not signed by it.
  TestCertificate other = MakeTestCertificate(dir, "other");
  ChildProcess wrong_ca = signalling({"--ca", other.cert_file});
  EXPECT_EQ(wrong_ca.WaitForExit(30s), 69) << wrong_ca.output();

  ChildProcess unreadable = signalling({"--ca", dir.File("missing.pem")});
  EXPECT_EQ(unreadable.WaitForExit(30s), 64) << unreadable.output();
  ChildProcess plain({.args = {BinaryPath("mgwctl"), "api", "signalling", "m1", "--url",
                               "http://127.0.0.1:1", "--insecure"},
                      .env = {},
                      .unset_env = {}});
  EXPECT_EQ(plain.WaitForExit(30s), 64) << plain.output();
}

}  // namespace
}  // namespace mgw::testing
