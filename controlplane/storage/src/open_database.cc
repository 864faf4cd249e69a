#include "mgw/storage/database.h"
#include "mgw/storage/postgres_database.h"
#include "mgw/storage/sqlite_database.h"
#include "mgw/storage/storage_error.h"

namespace mgw::storage {

std::unique_ptr<Database> OpenDatabase(std::string_view url) {
  auto starts = [&](std::string_view prefix) { return url.substr(0, prefix.size()) == prefix; };
  if (starts("postgresql://") || starts("postgres://")) {
    return PostgresDatabase::Open(PostgresOptions{.uri = std::string(url)});
  }
  std::string_view path = url;
  if (starts("sqlite://")) {
    path.remove_prefix(9);  // sqlite:///abs/path keeps the leading slash
  } else if (starts("sqlite:")) {
    path.remove_prefix(7);
  } else if (url.find("://") != std::string_view::npos) {
    throw StorageError(StorageErrorKind::kInvalidArgument,
                       "unknown database URL scheme (want sqlite: or postgresql://)");
  }
  if (path.empty()) {
    throw StorageError(StorageErrorKind::kInvalidArgument, "database URL names no SQLite file");
  }
  return SqliteDatabase::Open(SqliteOptions{.path = std::string(path)});
}

}  // namespace mgw::storage
