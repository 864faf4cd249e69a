#include "connection_pool.h"

#include <fmt/format.h>

#include "mgw/storage/storage_error.h"

namespace mgw::storage {

ConnectionPool::ConnectionPool(Factory factory, std::size_t max_size,
                               std::chrono::milliseconds acquire_timeout)
    : factory_(std::move(factory)),
      max_size_(max_size == 0 ? 1 : max_size),
      acquire_timeout_(acquire_timeout) {}

ConnectionLease ConnectionPool::Acquire() {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + acquire_timeout_;
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->AliveForReuse()) return ConnectionLease(this, std::move(connection));
      --open_;  // dropped; a fresh one is opened below
    }
    if (open_ < max_size_) {
      ++open_;
      lock.unlock();  // connecting can take a while; do not block releases meanwhile
      try {
        return ConnectionLease(this, factory_());
      } catch (...) {
        lock.lock();
        --open_;
        returned_.notify_one();
        throw;
      }
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_size_) {
      throw StorageError(StorageErrorKind::kUnavailable,
                         fmt::format("all {} database connections stayed busy for {} ms", max_size_,
                                     acquire_timeout_.count()));
    }
  }
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  const bool reusable = connection->ReusableAfterRelease();
  if (!reusable) connection.reset();  // close (network I/O for PostgreSQL) outside the lock
  {
    std::lock_guard lock(mutex_);
    if (reusable) {
      idle_.push_back(std::move(connection));
    } else {
      --open_;
    }
  }
  returned_.notify_one();
}

ConnectionLease::ConnectionLease(ConnectionPool* pool, std::unique_ptr<Connection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

ConnectionLease::ConnectionLease(ConnectionLease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {
  other.pool_ = nullptr;
}

ConnectionLease& ConnectionLease::operator=(ConnectionLease&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = other.pool_;
    connection_ = std::move(other.connection_);
    other.pool_ = nullptr;
  }
  return *this;
}

ConnectionLease::~ConnectionLease() { Release(); }

void ConnectionLease::Release() {
  if (connection_ && pool_) pool_->Release(std::move(connection_));
  connection_.reset();
  pool_ = nullptr;
}

}  // namespace mgw::storage
