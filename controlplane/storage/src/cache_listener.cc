#include "mgw/storage/cache_listener.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mgw::storage {

CacheListener::CacheListener(CacheInvalidationBus& bus, Options options)
    : bus_(bus), options_(std::move(options)) {
  bus_.SetBypass(true);
}

CacheListener::~CacheListener() { Stop(); }

void CacheListener::Start() {
  if (running_) return;
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error("cache listener: pipe failed");
  }
  if (Connect()) SetUp(true, "");
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

void CacheListener::Stop() {
  if (running_.exchange(false)) {
    char byte = 1;
    [[maybe_unused]] ssize_t n = write(wake_[1], &byte, 1);
    thread_.join();
  }
  Disconnect();
  for (int& fd : wake_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

bool CacheListener::Connect() {
  Disconnect();
  conn_ = PQconnectdb(options_.uri.c_str());
  bool ok = conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
  if (ok) {
    PGresult* result = PQexec(conn_, (std::string("LISTEN ") + std::string(kCacheChannel)).c_str());
    ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
  }
  ok = ok && PQsetnonblocking(conn_, 1) == 0;
  if (!ok) {
    if (options_.on_state) {
      options_.on_state(false, conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory");
    }
    Disconnect();
    return false;
  }
  backend_pid_.store(PQbackendPID(conn_), std::memory_order_release);
  return true;
}

void CacheListener::Disconnect() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  backend_pid_.store(0, std::memory_order_release);
}

// Up: LISTEN is in place, so everything committed from now on will be heard; the bus flushes
// (what changed while down was not) and stops bypassing. Down: bypass and flush at once.
void CacheListener::SetUp(bool up, const std::string& detail) {
  bus_.SetBypass(!up);  // first: whoever sees the flag or the count sees the caches in that state
  up_.store(up, std::memory_order_release);
  if (!up) losses_.fetch_add(1, std::memory_order_relaxed);
  if (options_.on_state) options_.on_state(up, detail);
}

void CacheListener::Run() {
  std::chrono::milliseconds backoff(50);
  while (running_) {
    if (conn_ == nullptr) {
      // Reconnect with exponential backoff; the wait is a poll on the stop pipe, so Stop is quick.
      pollfd stop{wake_[0], POLLIN, 0};
      if (poll(&stop, 1, static_cast<int>(backoff.count())) > 0) break;
      if (!Connect()) {
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      backoff = std::chrono::milliseconds(50);
      SetUp(true, "");
    }
    pollfd fds[2] = {{PQsocket(conn_), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents != 0) break;
    if (PQconsumeInput(conn_) != 1 || PQstatus(conn_) != CONNECTION_OK) {
      const std::string detail = PQerrorMessage(conn_);
      Disconnect();
      SetUp(false, detail);
      continue;
    }
    while (PGnotify* notify = PQnotifies(conn_)) {
      const std::string payload(notify->extra);
      PQfreemem(notify);
      notifications_.fetch_add(1, std::memory_order_relaxed);
      bus_.PublishPayload(payload, EvictionCause::kNotification);
    }
  }
}

}  // namespace mgw::storage
