#include "node/node_registry.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <set>

#include "node/dataplane_programmer.h"

namespace mgw::controlplane {
namespace json = boost::json;

std::string DefaultNodeId(const std::string& socket_path) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + socket_path;
}

NodeRegistry::NodeRegistry(service::Services& services, DataplaneLink& link,
                           NodeRegistryOptions options)
    : services_(services), link_(link), options_(std::move(options)) {}

NodeRegistry::~NodeRegistry() { Stop(); }

void NodeRegistry::Start() {
  thread_ = std::thread([this] { Run(); });
}

void NodeRegistry::Stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NodeRegistry::Run() {
  std::unique_lock lock(stop_mutex_);
  while (!stopping_) {
    lock.unlock();
    Tick();
    lock.lock();
    stop_cv_.wait_for(lock, options_.heartbeat_interval, [this] { return stopping_; });
  }
}

void NodeRegistry::Tick() {
  std::lock_guard lock(tick_mutex_);
  const auto now = std::chrono::steady_clock::now();
  try {
    EnsureRegistered();
    Heartbeat();
    last_heartbeat_ok_ = now;
    told_down_ = false;
    last_failure_.clear();
  } catch (const std::exception& e) {
    // The dataplane is down or restarting: no heartbeat, so the others will mark it down.
    // Said once per distinct failure, not on every tick of an outage.
    if (last_failure_ != e.what()) {
      last_failure_ = e.what();
      spdlog::warn("node registry: {}: {}", link_.socket_path(), e.what());
    }
    // Whoever marks the node down in the database, this process holds its meetings' sockets, so
    // it tells them itself once the node has been silent as long as the others wait.
    if (now - last_heartbeat_ok_ >= options_.down_after) TellDown(options_.node_id);
  }
  try {
    for (const std::string& id : services_.node_store.MarkSilentNodesDown(options_.down_after)) {
      spdlog::warn("node registry: node {} stopped reporting; marked down", id);
      TellDown(id);
    }
  } catch (const std::exception& e) {
    spdlog::warn("node registry: cannot mark silent nodes down: {}", e.what());
  }
}

void NodeRegistry::TellDown(const std::string& node_id) {
  if (node_id == options_.node_id) {
    if (told_down_) return;
    told_down_ = true;
  }
  if (options_.on_node_down) options_.on_node_down(node_id);
}

void NodeRegistry::EnsureRegistered() {
  json::object hello = link_.Connect();
  const std::string hello_text = json::serialize(hello);
  const std::uint64_t generation = link_.generation();
  if (generation == programmed_generation_ && hello_text == last_hello_) return;
  const json::object& media = hello.at("media").as_object();
  const std::string address = std::string(media.at("address").as_string()) + ":" +
                              std::to_string(media.at("port").to_number<std::int64_t>());
  services_.node_store.Register({.id = options_.node_id,
                                 .signalling_url = options_.signalling_url,
                                 .media_address = address});
  std::size_t added = ReprogramDataplane(link_, services_, options_.node_id);
  programmed_generation_ = generation;
  last_hello_ = hello_text;
  last_packets_.reset();
  spdlog::info("node {} registered (media {}); dataplane programmed with {} participant(s)",
               options_.node_id, address, added);
}

void NodeRegistry::Heartbeat() {
  json::object stats = link_.Call(control::StatsQuery{});
  storage::NodeLoad load;
  std::set<std::string> meetings;
  std::int64_t packets = 0;
  for (const json::value& p : stats.at("participants").as_array()) {
    const json::object& participant = p.as_object();
    ++load.participants;
    meetings.insert(std::string(participant.at("meeting").as_string()));
    if (const json::value* streams = participant.if_contains("streams")) {
      for (const json::value& s : streams->as_array()) {
        packets += s.as_object().at("packets").to_number<std::int64_t>();
      }
    }
  }
  load.meetings = static_cast<std::int64_t>(meetings.size());
  const auto now = std::chrono::steady_clock::now();
  if (last_packets_ && now > last_packets_->first && packets >= last_packets_->second) {
    const double seconds = std::chrono::duration<double>(now - last_packets_->first).count();
    load.packets_per_second =
        static_cast<std::int64_t>(static_cast<double>(packets - last_packets_->second) / seconds);
  }
  last_packets_ = {now, packets};
  services_.node_store.Heartbeat(options_.node_id, load);
}

}  // namespace mgw::controlplane
