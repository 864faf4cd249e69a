#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_fetch.h"

namespace mgw::testing {

// Drives a running mgw-controlplane over real HTTP and records every response it receives (one
// JSON line each) so the test can check them all against api/openapi.yaml afterwards.
class ApiClient {
 public:
  ApiClient(uint16_t port, std::string record_file);

  struct Reply {
    int status = 0;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
    std::string body;

    boost::json::value Json() const;  // the body parsed; fails the test when it is not JSON
    std::optional<std::string> Header(const std::string& lower_name) const;
    std::string ProblemType() const;  // the problem body's `type`
  };

  Reply Call(const std::string& method, const std::string& target, const std::string& body = {},
             const std::optional<std::string>& token = std::nullopt,
             std::vector<std::pair<std::string, std::string>> headers = {});

  // Conveniences over Call for the common flows.
  void SignUp(const std::string& email, const std::string& password);
  std::string Login(const std::string& email, const std::string& password);

  uint16_t port() const { return port_; }

 private:
  uint16_t port_;
  std::ofstream record_;
};

}  // namespace mgw::testing
