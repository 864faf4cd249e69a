#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mgw::testing {

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// One HTTP/1.1 request over a real TCP connection (Boost.Beast client). Throws on I/O errors.
HttpResult HttpFetch(const std::string& host, uint16_t port, const std::string& method,
                     const std::string& target, const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace mgw::testing
