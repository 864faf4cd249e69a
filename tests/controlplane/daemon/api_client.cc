#include "api_client.h"

#include <gtest/gtest.h>

namespace mgw::testing {

ApiClient::ApiClient(uint16_t port, std::string record_file)
    : port_(port), record_(record_file, std::ios::app) {}

boost::json::value ApiClient::Reply::Json() const {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << body;
  return value;
}

std::optional<std::string> ApiClient::Reply::Header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

std::string ApiClient::Reply::ProblemType() const {
  boost::json::value value = Json();
  if (!value.is_object() || !value.as_object().contains("type")) return "";
  return std::string(value.as_object().at("type").as_string());
}

ApiClient::Reply ApiClient::Call(const std::string& method, const std::string& target,
                                 const std::string& body, const std::optional<std::string>& token,
                                 std::vector<std::pair<std::string, std::string>> headers) {
  if (!body.empty()) headers.emplace_back("content-type", "application/json");
  if (token) headers.emplace_back("authorization", "Bearer " + *token);
  HttpResult result = HttpFetch("127.0.0.1", port_, method, target, body, headers);
  Reply reply{result.status, result.content_type, {}, result.body};
  boost::json::object recorded_headers;
  for (auto [name, value] : result.headers) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    recorded_headers[name] = value;
    reply.headers.emplace_back(std::move(name), std::move(value));
  }
  // The server's own 413/431 are written before any handler runs (common/http_server).
  if (reply.status != 413 && reply.status != 431) {
    EXPECT_TRUE(reply.Header("x-request-id").has_value()) << method << " " << target;
  }
  std::string path = target.substr(0, target.find('?'));
  record_ << boost::json::serialize(boost::json::object{{"method", method},
                                                        {"path", path},
                                                        {"status", reply.status},
                                                        {"headers", recorded_headers},
                                                        {"body", reply.body}})
          << "\n";
  record_.flush();
  return reply;
}

void ApiClient::SignUp(const std::string& email, const std::string& password) {
  Reply reply =
      Call("POST", "/account",
           boost::json::serialize(boost::json::object{{"email", email}, {"password", password}}));
  ASSERT_EQ(reply.status, 201) << reply.body;
}

std::string ApiClient::Login(const std::string& email, const std::string& password) {
  Reply reply =
      Call("POST", "/account/login",
           boost::json::serialize(boost::json::object{{"email", email}, {"password", password}}));
  EXPECT_EQ(reply.status, 200) << reply.body;
  if (reply.status != 200) return "";
  return std::string(reply.Json().at("token").as_string());
}

}  // namespace mgw::testing
