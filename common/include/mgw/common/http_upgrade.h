#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "mgw/common/http_server.h"
#include "mgw/common/http_stream.h"

namespace mgw::http {

// What ServerOptions::upgrade receives: the parsed request (for authentication and routing), the
// connection (TLS already negotiated when the server serves TLS), the raw request (for
// websocket::stream::async_accept) and whatever was read past it.
struct UpgradeRequest {
  Request request;
  Stream stream;
  boost::beast::http::request<boost::beast::http::string_body> message;
  boost::beast::flat_buffer buffer;
};

}  // namespace mgw::http
