#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

struct DataplaneNode {
  std::string id;
  std::string signalling_url;
  std::string media_address;  // host:port participants send RTP to
  bool up = false;
  std::int64_t load_participants = 0;
};

// What a node reports on each heartbeat, read from its dataplane's `stats`.
struct NodeLoad {
  std::int64_t meetings = 0;
  std::int64_t participants = 0;
  std::int64_t packets_per_second = 0;
};

struct NodeRegistration {
  std::string id;
  std::string signalling_url;
  std::string media_address;
};

// The dataplane node registry: registration (insert or refresh, marking the node up), heartbeats
// with load figures, marking silent nodes down, and the least-loaded live node for placement.
// Any control plane may mark any node down, so it works with several sharing one database.
// Thread-safe like the Database.
class DataplaneNodeStore {
 public:
  DataplaneNodeStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  DataplaneNode Register(const NodeRegistration& node);
  // Records a heartbeat: the node is up, its load is `load`. False when the node is unknown.
  bool Heartbeat(std::string_view id, const NodeLoad& load);
  // Marks down every up node whose last heartbeat is older than `max_silence`; returns their ids.
  std::vector<std::string> MarkSilentNodesDown(std::chrono::milliseconds max_silence);
  std::optional<DataplaneNode> Find(SqlExecutor& executor, std::string_view id);
  // The up node with the fewest participants (ties: smallest id), or none when no node is up.
  std::optional<DataplaneNode> LeastLoaded(SqlExecutor& executor);
  // Moves a node's participant figure by `delta` (join +1, leave -1), never below zero.
  void AddParticipants(SqlExecutor& executor, std::string_view id, std::int64_t delta);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace mgw::storage
