#include "mgw/storage/database.h"

namespace mgw::storage {

std::optional<Row> SqlExecutor::QueryOne(std::string_view sql, const Params& params) {
  std::vector<Row> rows = Query(sql, params);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::int64_t Database::Execute(std::string_view sql, const Params& params) {
  ConnectionLease connection = Acquire();
  return connection->Execute(sql, params);
}

std::vector<Row> Database::Query(std::string_view sql, const Params& params) {
  ConnectionLease connection = Acquire();
  return connection->Query(sql, params);
}

void Database::ExecuteScript(std::string_view sql) {
  ConnectionLease connection = Acquire();
  connection->ExecuteScript(sql);
}

}  // namespace mgw::storage
