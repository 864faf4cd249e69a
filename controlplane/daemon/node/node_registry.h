#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "mgw/service/services.h"
#include "node/dataplane_link.h"

namespace mgw::controlplane {

struct NodeRegistryOptions {
  std::string node_id;         // this control plane's dataplane node
  std::string signalling_url;  // controlplane.public_url + "/signalling"
  std::chrono::milliseconds heartbeat_interval{2000};
  // Silence after which any control plane marks a node down.
  std::chrono::milliseconds down_after{10000};
  // Told when a node goes down: our own after `down_after` without a heartbeat (once per
  // outage), another when this process marked it down. Its clients are told through signalling.
  std::function<void(const std::string&)> on_node_down;
};

// Keeps the local dataplane registered: on each tick it connects if needed (hello), registers the
// node with the media address from hello, programs the dataplane again from the database when the
// connection is new (a restarted dataplane starts empty), heartbeats the load read from `stats`,
// and marks every node that has been silent too long as down. Runs on its own thread; the clock
// comes from Services.
class NodeRegistry {
 public:
  NodeRegistry(service::Services& services, DataplaneLink& link, NodeRegistryOptions options);
  ~NodeRegistry();  // stops
  NodeRegistry(const NodeRegistry&) = delete;
  NodeRegistry& operator=(const NodeRegistry&) = delete;

  void Start();
  void Stop();
  // One heartbeat, on the caller's thread (also what the thread runs).
  void Tick();
  const std::string& node_id() const { return options_.node_id; }

 private:
  void Run();
  void EnsureRegistered();
  void Heartbeat();
  void TellDown(const std::string& node_id);  // at most once per outage for our own node

  service::Services& services_;
  DataplaneLink& link_;
  const NodeRegistryOptions options_;
  std::mutex tick_mutex_;  // one Tick at a time
  std::uint64_t programmed_generation_ = 0;
  std::string last_hello_;
  std::chrono::steady_clock::time_point last_heartbeat_ok_ = std::chrono::steady_clock::now();
  bool told_down_ = false;
  std::string last_failure_;
  std::optional<std::pair<std::chrono::steady_clock::time_point, std::int64_t>> last_packets_;

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// hostname + ":" + the control socket path: stable across restarts, distinct per dataplane.
std::string DefaultNodeId(const std::string& socket_path);

}  // namespace mgw::controlplane
