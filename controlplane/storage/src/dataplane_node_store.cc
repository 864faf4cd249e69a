#include "mgw/storage/dataplane_node_store.h"

#include "mgw/storage/cache_invalidation.h"
#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"

namespace mgw::storage {
namespace {

constexpr const char* kNodeColumns =
    "SELECT id, signalling_url, media_address, state, load_participants FROM dataplane_nodes ";

DataplaneNode NodeFromRow(const Row& row) {
  return DataplaneNode{.id = row.GetString(0),
                       .signalling_url = row.GetString(1),
                       .media_address = row.GetString(2),
                       .up = row.GetString(3) == "up",
                       .load_participants = row.GetInt64(4)};
}

}  // namespace

DataplaneNode DataplaneNodeStore::Register(const NodeRegistration& node) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  return InTransaction(db_, [&](Transaction& tx) {
    tx.Execute(
        "INSERT INTO dataplane_nodes (id, signalling_url, media_address, state, "
        "last_heartbeat_at, created_at, updated_at) VALUES ($1, $2, $3, 'up', $4, $4, $4) ON "
        "CONFLICT (id) DO UPDATE SET signalling_url = $2, media_address = $3, state = 'up', "
        "last_heartbeat_at = $4, updated_at = $4",
        {node.id, node.signalling_url, node.media_address, now});
    tx.MarkChanged(CacheKey("node", node.id));
    return *Find(tx, node.id);
  });
}

bool DataplaneNodeStore::Heartbeat(std::string_view id, const NodeLoad& load) {
  // The cached node (GET /meeting/{id}'s) carries state and load, so a heartbeat evicts it.
  return InTransaction(db_, [&](Transaction& tx) {
    if (tx.Execute(
            "UPDATE dataplane_nodes SET state = 'up', last_heartbeat_at = $1, updated_at = $1, "
            "load_meetings = $2, load_participants = $3, load_packets_per_second = $4 "
            "WHERE id = $5",
            {ToUnixMillis(clock_.Now()), load.meetings, load.participants, load.packets_per_second,
             id}) == 0) {
      return false;
    }
    tx.MarkChanged(CacheKey("node", id));
    return true;
  });
}

std::vector<std::string> DataplaneNodeStore::MarkSilentNodesDown(
    std::chrono::milliseconds max_silence) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  const std::int64_t cutoff = now - max_silence.count();
  // RETURNING makes the update and the list one statement, so two control planes racing report
  // each node once.
  return InTransaction(db_, [&](Transaction& tx) {
    std::vector<std::string> ids;
    for (const Row& row : tx.Query(
             "UPDATE dataplane_nodes SET state = 'down', updated_at = ? WHERE state = 'up' AND "
             "(last_heartbeat_at IS NULL OR last_heartbeat_at < ?) RETURNING id",
             {now, cutoff})) {
      ids.push_back(row.GetString(0));
      tx.MarkChanged(CacheKey("node", ids.back()));
    }
    return ids;
  });
}

std::optional<DataplaneNode> DataplaneNodeStore::Find(SqlExecutor& executor, std::string_view id) {
  std::optional<Row> row = executor.QueryOne(std::string(kNodeColumns) + "WHERE id = ?", {id});
  if (!row) return std::nullopt;
  return NodeFromRow(*row);
}

std::optional<DataplaneNode> DataplaneNodeStore::LeastLoaded(SqlExecutor& executor) {
  std::optional<Row> row = executor.QueryOne(std::string(kNodeColumns) +
                                             "WHERE state = 'up' ORDER BY load_participants, id "
                                             "LIMIT 1");
  if (!row) return std::nullopt;
  return NodeFromRow(*row);
}

void DataplaneNodeStore::AddParticipants(SqlExecutor& executor, std::string_view id,
                                         std::int64_t delta) {
  executor.Execute(
      "UPDATE dataplane_nodes SET load_participants = CASE WHEN load_participants + $1 < 0 THEN 0 "
      "ELSE load_participants + $1 END, updated_at = $2 WHERE id = $3",
      {delta, ToUnixMillis(clock_.Now()), id});
  MarkChanged(executor, CacheKey("node", id));
}

}  // namespace mgw::storage
