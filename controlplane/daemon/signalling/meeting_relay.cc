#include "signalling/meeting_relay.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>

#include "mgw/common/http_server.h"

namespace mgw::controlplane {
namespace json = boost::json;

MeetingRelay::MeetingRelay(std::string postgres_uri, storage::Database& db, Callbacks callbacks,
                           std::chrono::milliseconds call_timeout)
    : uri_(std::move(postgres_uri)),
      db_(db),
      callbacks_(std::move(callbacks)),
      call_timeout_(call_timeout),
      instance_id_(http::NewRequestId()) {}

MeetingRelay::~MeetingRelay() { Stop(); }

void MeetingRelay::Start() {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error("signalling relay: pipe failed");
  }
  if (!Connect()) {
    throw std::runtime_error(
        fmt::format("signalling relay: cannot LISTEN on PostgreSQL: {}",
                    listen_ != nullptr ? PQerrorMessage(listen_) : "out of memory"));
  }
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

void MeetingRelay::Stop() {
  if (running_.exchange(false)) {
    char byte = 1;
    [[maybe_unused]] ssize_t n = write(wake_[1], &byte, 1);
    thread_.join();
  }
  if (listen_ != nullptr) PQfinish(listen_);
  listen_ = nullptr;
  for (int& fd : wake_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  std::lock_guard lock(mutex_);
  for (auto& [id, call] : calls_) call.done = true;  // callers see "no answer"
  answered_.notify_all();
}

bool MeetingRelay::Connect() {
  if (listen_ != nullptr) PQfinish(listen_);
  listen_ = PQconnectdb(uri_.c_str());
  if (listen_ == nullptr || PQstatus(listen_) != CONNECTION_OK) return false;
  PGresult* result = PQexec(listen_, fmt::format("LISTEN {}", kChannel).c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  PQclear(result);
  return ok && PQsetnonblocking(listen_, 1) == 0;
}

void MeetingRelay::Run() {
  std::chrono::milliseconds backoff(100);
  bool lost = false;
  while (running_) {
    if (lost) {
      // Reconnect with exponential backoff; the wait is a poll on the stop pipe, so Stop is quick.
      pollfd stop{wake_[0], POLLIN, 0};
      if (poll(&stop, 1, static_cast<int>(backoff.count())) > 0) break;
      if (!Connect()) {
        spdlog::warn("signalling relay: reconnecting to PostgreSQL failed: {}",
                     listen_ != nullptr ? PQerrorMessage(listen_) : "out of memory");
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        continue;
      }
      lost = false;
      backoff = std::chrono::milliseconds(100);
      spdlog::info("signalling relay: listening again; re-reading state from the database");
      try {
        if (callbacks_.on_resync) callbacks_.on_resync();
      } catch (const std::exception& e) {
        spdlog::warn("signalling relay: resync failed: {}", e.what());
      }
    }
    pollfd fds[2] = {{PQsocket(listen_), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents != 0) break;
    if (PQconsumeInput(listen_) != 1 || PQstatus(listen_) != CONNECTION_OK) {
      spdlog::warn("signalling relay: lost the PostgreSQL connection: {}", PQerrorMessage(listen_));
      lost = true;
      continue;
    }
    while (PGnotify* notify = PQnotifies(listen_)) {
      std::string payload(notify->extra);
      PQfreemem(notify);
      try {
        Dispatch(payload);
      } catch (const std::exception& e) {
        spdlog::warn("signalling relay: bad notification: {}", e.what());
      }
    }
  }
}

void MeetingRelay::Notify(const json::object& payload) {
  db_.Execute("SELECT pg_notify(?, ?)",
              {storage::Value(kChannel), storage::Value(json::serialize(payload))});
}

void MeetingRelay::Broadcast(const std::string& meeting_id, const std::string& text, bool close) {
  Notify({{"kind", "broadcast"},
          {"origin", instance_id_},
          {"meeting_id", meeting_id},
          {"text", text},
          {"close", close}});
}

json::object MeetingRelay::Call(const std::string& node_id, const control::Command& command) {
  std::int64_t id;
  {
    std::lock_guard lock(mutex_);
    id = next_call_++;
    calls_[id];
  }
  Notify({{"kind", "call"},
          {"origin", instance_id_},
          {"call", id},
          {"node", node_id},
          {"request", control::SerializeRequest(id, command)}});
  std::unique_lock lock(mutex_);
  answered_.wait_for(lock, call_timeout_, [&] { return calls_[id].done; });
  PendingCall call = std::move(calls_[id]);
  calls_.erase(id);
  lock.unlock();
  if (call.error) throw control::ControlCallError(*call.error);
  if (!call.result) {
    throw std::runtime_error(fmt::format("no control plane managing node {} answered within {} ms",
                                         node_id, call_timeout_.count()));
  }
  return *std::move(call.result);
}

void MeetingRelay::Dispatch(const std::string& payload) {
  json::object message = json::parse(payload).as_object();
  if (message.at("origin").as_string() == instance_id_) return;
  const std::string kind(message.at("kind").as_string());
  if (kind == "broadcast") {
    if (callbacks_.on_broadcast) {
      callbacks_.on_broadcast(std::string(message.at("meeting_id").as_string()),
                              std::string(message.at("text").as_string()),
                              message.at("close").as_bool());
    }
  } else if (kind == "call") {
    if (callbacks_.manages && callbacks_.manages(std::string(message.at("node").as_string()))) {
      Answer(message);
    }
  } else if (kind == "reply") {
    if (message.at("to").as_string() != instance_id_) return;
    std::lock_guard lock(mutex_);
    auto it = calls_.find(message.at("call").to_number<std::int64_t>());
    if (it == calls_.end()) return;  // answered too late: the caller gave up
    if (const json::value* result = message.if_contains("result")) {
      it->second.result = result->as_object();
    } else {
      const json::object& error = message.at("error").as_object();
      it->second.error = control::Error{control::ParseErrorCode(error.at("code").as_string())
                                            .value_or(control::ErrorCode::kInternal),
                                        std::string(error.at("message").as_string())};
    }
    it->second.done = true;
    answered_.notify_all();
  }
}

// Runs a call for the node this process manages and sends the reply. A dataplane that cannot be
// reached is not answered, so the caller times out as it would with a local link that is down.
void MeetingRelay::Answer(const json::object& message) {
  json::object reply{{"kind", "reply"},
                     {"origin", instance_id_},
                     {"to", message.at("origin")},
                     {"call", message.at("call")}};
  auto parsed = control::ParseRequest(std::string(message.at("request").as_string()));
  if (auto* failure = std::get_if<control::ParseFailure>(&parsed)) {
    reply["error"] = json::object{{"code", control::ToString(failure->error.code)},
                                  {"message", failure->error.message}};
  } else {
    try {
      reply["result"] = callbacks_.on_call(std::get<control::Request>(parsed).command);
    } catch (const control::ControlCallError& e) {
      reply["error"] =
          json::object{{"code", control::ToString(e.error().code)}, {"message", e.error().message}};
    } catch (const std::exception& e) {
      spdlog::warn("signalling relay: a relayed dataplane call failed: {}", e.what());
      return;
    }
  }
  Notify(reply);
}

}  // namespace mgw::controlplane
