#include "http_fetch.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace mgw::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

HttpResult HttpFetch(const std::string& host, uint16_t port, const std::string& method,
                     const std::string& target, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address(host), port));
  bhttp::request<bhttp::string_body> request(bhttp::string_to_verb(method), target, 11);
  request.set(bhttp::field::host, host);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  // A server may answer early (413, 431) and stop reading while the body is still being sent:
  // the write then fails, but the answer is waiting to be read.
  beast::error_code write_error;
  bhttp::write(stream, request, write_error);
  if (write_error && write_error != asio::error::broken_pipe &&
      write_error != asio::error::connection_reset) {
    throw beast::system_error(write_error);
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 << 20);
  bhttp::read(stream, buffer, parser);
  const auto& response = parser.get();
  HttpResult result;
  result.status = response.result_int();
  result.content_type = std::string(response[bhttp::field::content_type]);
  for (const auto& field : response) {
    result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  result.body = response.body();
  beast::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return result;
}

}  // namespace mgw::testing
