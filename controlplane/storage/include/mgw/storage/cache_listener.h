#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "mgw/storage/cache_invalidation.h"

struct pg_conn;  // libpq's PGconn, kept out of this header

namespace mgw::storage {

// The cross-process half of cache invalidation in PostgreSQL mode: one libpq connection that
// LISTENs on mgw_cache (kCacheChannel) on its own thread (PQsocket + poll, PQconsumeInput,
// PQnotifies) and hands every notification's keys to the bus as EvictionCause::kNotification.
//
// Every write that changes a cached fact sends NOTIFY mgw_cache inside its transaction
// (Transaction::MarkChanged), so PostgreSQL delivers it at commit to every listener, this process
// included. While the connection is down, whatever was notified is lost: the bus is put in bypass
// (caches drop everything and serve nothing) from construction until the first LISTEN succeeds,
// and again from a loss until the reconnection (with backoff) has LISTENed again; the caches are
// flushed once more on the way back.
class CacheListener {
 public:
  struct Options {
    std::string uri;  // libpq URI of the database the control plane uses
    std::chrono::milliseconds max_backoff{5000};
    // Told when the connection comes up (true) or is lost (false), with libpq's message.
    std::function<void(bool up, const std::string& detail)> on_state;
  };

  // Puts `bus` in bypass. Starts nothing yet.
  CacheListener(CacheInvalidationBus& bus, Options options);
  ~CacheListener();  // stops
  CacheListener(const CacheListener&) = delete;
  CacheListener& operator=(const CacheListener&) = delete;

  // Tries to LISTEN once (the caches work at once when it succeeds), then starts the thread,
  // which keeps (re)connecting. Never throws for an unreachable server.
  void Start();
  void Stop();

  bool up() const { return up_.load(std::memory_order_acquire); }
  std::uint64_t notifications() const { return notifications_.load(std::memory_order_relaxed); }
  std::uint64_t losses() const { return losses_.load(std::memory_order_relaxed); }

  // Test hook: the backend pid of the listening connection (0 when down), e.g. for
  // pg_terminate_backend.
  int BackendPidForTest() const { return backend_pid_.load(std::memory_order_acquire); }

 private:
  bool Connect();  // LISTENs; false when it failed (the connection is then closed)
  void Disconnect();
  void Run();
  void SetUp(bool up, const std::string& detail);

  CacheInvalidationBus& bus_;
  Options options_;
  pg_conn* conn_ = nullptr;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> up_{false};
  std::atomic<int> backend_pid_{0};
  std::atomic<std::uint64_t> notifications_{0};
  std::atomic<std::uint64_t> losses_{0};
};

}  // namespace mgw::storage
