#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

struct NodeRegistration {
  std::string id;
  std::string signalling_url;
  std::string media_address;
};

// The dataplane node registry as far as placement needs it today: registration (insert or
// refresh, marking the node up) and the least-loaded live node. Heartbeats and marking nodes
// down arrive with the node registry service. Thread-safe like the Database.
class DataplaneNodeStore {
 public:
  DataplaneNodeStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  DataplaneNode Register(const NodeRegistration& node);
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
