#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "mgw/control/control_protocol.h"
#include "mgw/control/control_server.h"
#include "mgw/storage/database.h"

struct pg_conn;  // libpq's PGconn, kept out of this header

namespace mgw::controlplane {

// Signalling between control planes that share one PostgreSQL database (see
// controlplane/README.md, "Signalling across control planes"). Everything travels as
// NOTIFY on one channel, `mgw_signalling`, as a JSON payload naming its origin (this process's
// random instance id), so each process ignores its own:
//   - broadcast: a signalling message for every socket of a meeting (JOIN, LEAVE, END, ...) that
//     the other processes hand to their own sockets of that meeting (and close them when asked);
//   - call / reply: a dataplane control command for a node this process does not manage, run by
//     the control plane that manages it on its local control socket, with the result sent back.
// NOTIFYs are sent through the database's pool, outside any transaction, so they are delivered
// at once (a call must be answered while the caller's transaction still holds the meeting's row
// lock). A dedicated libpq connection LISTENs on its own thread (PQsocket + poll); when that
// connection is lost it reconnects with backoff and then calls `on_resync`, because whatever was
// notified meanwhile is lost. SQLite mode has none of this: one process, no relay.
class MeetingRelay {
 public:
  struct Callbacks {
    // A broadcast from another process: deliver `text` to this process's sockets of the
    // meeting; `close`: close them afterwards.
    std::function<void(const std::string& meeting_id, const std::string& text, bool close)>
        on_broadcast;
    // A dataplane call for `node_id`; return the result or throw (ControlCallError: the
    // dataplane refused; anything else: unavailable). Only called for nodes `manages` says yes.
    std::function<boost::json::object(const control::Command& command)> on_call;
    std::function<bool(const std::string& node_id)> manages;
    // The listening connection came back after a loss: re-read what matters from the database.
    std::function<void()> on_resync;
  };

  static constexpr const char* kChannel = "mgw_signalling";

  MeetingRelay(std::string postgres_uri, storage::Database& db, Callbacks callbacks,
               std::chrono::milliseconds call_timeout = std::chrono::seconds(5));
  ~MeetingRelay();  // stops
  MeetingRelay(const MeetingRelay&) = delete;
  MeetingRelay& operator=(const MeetingRelay&) = delete;

  // Connects the listening connection (throws std::runtime_error when it cannot the first time)
  // and starts its thread.
  void Start();
  void Stop();

  void Broadcast(const std::string& meeting_id, const std::string& text, bool close);
  // Runs `command` on the dataplane of `node_id` through the control plane that manages it.
  // Returns its result; throws ControlCallError when the dataplane refused, std::runtime_error
  // when no control plane answered within the call timeout.
  boost::json::object Call(const std::string& node_id, const control::Command& command);

  const std::string& instance_id() const { return instance_id_; }

 private:
  struct PendingCall {
    bool done = false;
    std::optional<boost::json::object> result;
    std::optional<control::Error> error;
  };

  void Notify(const boost::json::object& payload);
  bool Connect();  // the listening connection; false when it failed
  void Run();
  void Dispatch(const std::string& payload);
  void Answer(const boost::json::object& message);

  const std::string uri_;
  storage::Database& db_;
  const Callbacks callbacks_;
  const std::chrono::milliseconds call_timeout_;
  const std::string instance_id_;
  pg_conn* listen_ = nullptr;  // the relay thread's only
  int wake_[2] = {-1, -1};     // a pipe: Stop wakes the poll
  std::thread thread_;
  std::atomic<bool> running_{false};

  std::mutex mutex_;
  std::condition_variable answered_;
  std::int64_t next_call_ = 1;
  std::map<std::int64_t, PendingCall> calls_;
};

}  // namespace mgw::controlplane
