#pragma once

// A real HTTP server on 127.0.0.1 and a free port for webhook tests: records every request and
// answers with the scripted statuses in order, then 204 (a non-204 answer's body is
// "answer <status>"). Header-only: its users link mgw_common.

#include <deque>
#include <initializer_list>
#include <mutex>
#include <string>
#include <vector>

#include "mgw/common/http_server.h"

namespace mgw::testing {

class WebhookReceiver {
 public:
  WebhookReceiver()
      : server_({.address = "127.0.0.1", .port = 0}, [this](const http::Request& r) {
          std::lock_guard lock(mutex_);
          requests_.push_back(r);
          int status = 204;
          if (!statuses_.empty()) {
            status = statuses_.front();
            statuses_.pop_front();
          }
          return http::Response::Text(status,
                                      status == 204 ? "" : "answer " + std::to_string(status));
        }) {
    server_.Start();
  }

  void Script(std::initializer_list<int> statuses) {
    std::lock_guard lock(mutex_);
    statuses_.assign(statuses);
  }
  std::vector<http::Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::string url(const std::string& path = "/hooks/mgw") const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }

 private:
  std::mutex mutex_;
  std::deque<int> statuses_;
  std::vector<http::Request> requests_;
  http::Server server_;
};

}  // namespace mgw::testing
