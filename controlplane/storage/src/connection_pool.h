#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "mgw/storage/database.h"

namespace mgw::storage {

// A bounded pool shared by both dialects. Connections are opened on demand up to `max_size`;
// Acquire() waits for a returned one beyond that. A connection that is not reusable when returned
// is dropped, and one that fails its liveness check before reuse is replaced: that is how a lost
// connection gets reconnected.
class ConnectionPool {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;

  ConnectionPool(Factory factory, std::size_t max_size, std::chrono::milliseconds acquire_timeout);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  ConnectionLease Acquire();
  void Release(std::unique_ptr<Connection> connection);

 private:
  Factory factory_;
  const std::size_t max_size_;
  const std::chrono::milliseconds acquire_timeout_;

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle plus leased
};

}  // namespace mgw::storage
