#include "mgw/storage/sqlite_database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "connection_pool.h"
#include "mgw/storage/placeholders.h"
#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

// Bounds the per-connection statement cache; ad-hoc SQL beyond it flushes the cache.
constexpr std::size_t kMaxCachedStatements = 256;

StorageErrorKind KindForSqliteCode(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return StorageErrorKind::kUniqueViolation;
    default:
      break;
  }
  switch (extended_code & 0xff) {
    case SQLITE_CONSTRAINT:
      return StorageErrorKind::kConstraintViolation;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StorageErrorKind::kConflict;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CORRUPT:
      return StorageErrorKind::kUnavailable;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return StorageErrorKind::kInvalidArgument;
    default:
      return StorageErrorKind::kInternal;
  }
}

std::string Shorten(std::string_view sql) {
  constexpr std::size_t kMax = 200;
  return sql.size() <= kMax ? std::string(sql) : std::string(sql.substr(0, kMax)) + "...";
}

// Lets the statement cache be searched with the caller's string_view, without a copy per call.
struct SqlHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
};

bool IsBlank(const char* text) {
  for (; *text != '\0'; ++text) {
    if (*text != ' ' && *text != '\n' && *text != '\t' && *text != '\r' && *text != ';') {
      return false;
    }
  }
  return true;
}

class SqliteConnection final : public Connection {
 public:
  static std::unique_ptr<Connection> Open(const SqliteOptions& options) {
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      sqlite3_close_v2(db);
      throw StorageError(StorageErrorKind::kUnavailable,
                         fmt::format("cannot open SQLite database {}: {}", options.path, message));
    }
    auto connection = std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
    // WAL lets readers run beside the one writer. FULL sync fsyncs the WAL at every commit, so
    // an answered write survives a power loss too (NORMAL would only survive a process crash):
    // the API promises that a 2xx is durable. It bounds SQLite writes to the disk's fsync rate.
    connection->ExecuteScript(
        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
    return connection;
  }

  ~SqliteConnection() override {
    FlushCache();
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  std::int64_t Execute(std::string_view sql, const Params& params) override {
    return Run(sql, params, nullptr);
  }

  std::vector<Row> Query(std::string_view sql, const Params& params) override {
    std::vector<Row> rows;
    Run(sql, params, &rows);
    return rows;
  }

  void ExecuteScript(std::string_view sql) override {
    const std::string text(sql);
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      std::string message = error != nullptr ? error : sqlite3_errstr(rc);
      sqlite3_free(error);
      Throw(sqlite3_extended_errcode(db_), message, sql);
    }
  }

  void Begin() override { ExecuteScript("BEGIN IMMEDIATE"); }
  void Commit() override { ExecuteScript("COMMIT"); }
  void Rollback() override {
    // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) already rolled the transaction back.
    if (sqlite3_get_autocommit(db_) != 0) return;
    ExecuteScript("ROLLBACK");
  }

  bool ReusableAfterRelease() const override { return sqlite3_get_autocommit(db_) != 0; }
  bool AliveForReuse() override { return true; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  [[noreturn]] void Throw(int extended_code, std::string_view message, std::string_view sql) {
    throw StorageError(KindForSqliteCode(extended_code),
                       fmt::format("sqlite: {} (in: {})", message, Shorten(sql)));
  }

  // A prepared statement and its column names, read once: every row it returns shares them.
  struct Cached {
    sqlite3_stmt* statement = nullptr;
    std::shared_ptr<const std::vector<std::string>> names;
  };

  void FlushCache() {
    for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.statement);
    cache_.clear();
  }

  const Cached& Prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedStatements) FlushCache();
    const std::string text = TranslatePlaceholders(sql, Dialect::kSqlite);
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size() + 1),
                                      SQLITE_PREPARE_PERSISTENT, &statement, &tail);
    if (rc != SQLITE_OK) Throw(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_), sql);
    if (statement == nullptr || (tail != nullptr && !OnlyComments(tail))) {
      sqlite3_finalize(statement);
      throw StorageError(
          StorageErrorKind::kInvalidArgument,
          "expected exactly one statement (use ExecuteScript for several): " + Shorten(sql));
    }
    auto names = std::make_shared<std::vector<std::string>>();
    const int columns = sqlite3_column_count(statement);
    for (int c = 0; c < columns; ++c) names->emplace_back(sqlite3_column_name(statement, c));
    return cache_.emplace(std::string(sql), Cached{statement, std::move(names)}).first->second;
  }

  // True when `tail` (what follows the first statement) holds no further statement.
  bool OnlyComments(const char* tail) {
    while (!IsBlank(tail)) {
      sqlite3_stmt* next = nullptr;
      const char* rest = nullptr;
      const int rc = sqlite3_prepare_v2(db_, tail, -1, &next, &rest);
      sqlite3_finalize(next);
      if (rc != SQLITE_OK || next != nullptr || rest == nullptr || rest == tail) return false;
      tail = rest;
    }
    return true;
  }

  void Bind(sqlite3_stmt* statement, const Params& params, std::string_view sql) {
    const int expected = sqlite3_bind_parameter_count(statement);
    if (static_cast<std::size_t>(expected) != params.size()) {
      throw StorageError(StorageErrorKind::kInvalidArgument,
                         fmt::format("statement takes {} parameters, {} given: {}", expected,
                                     params.size(), Shorten(sql)));
    }
    for (int i = 0; i < expected; ++i) {
      const Value::Variant& v = params[static_cast<std::size_t>(i)].variant();
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(statement, i + 1, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(statement, i + 1, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        // SQLITE_STATIC: `params` outlives the statement's use; bindings are cleared after it.
        rc =
            sqlite3_bind_text64(statement, i + 1, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(statement, i + 1);
      }
      if (rc != SQLITE_OK) Throw(rc, sqlite3_errstr(rc), sql);
    }
  }

  static Value ColumnValue(sqlite3_stmt* statement, int column) {
    switch (sqlite3_column_type(statement, column)) {
      case SQLITE_INTEGER:
        return Value(static_cast<std::int64_t>(sqlite3_column_int64(statement, column)));
      case SQLITE_FLOAT:
        return Value(sqlite3_column_double(statement, column));
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(statement, column));
        const int size = sqlite3_column_bytes(statement, column);
        return Value(std::string(data == nullptr ? "" : data, static_cast<std::size_t>(size)));
      }
      default:
        return Value();
    }
  }

  // Runs one statement; collects its rows into `rows` when given. Returns rows changed.
  std::int64_t Run(std::string_view sql, const Params& params, std::vector<Row>* rows) {
    const Cached& cached = Prepare(sql);
    sqlite3_stmt* statement = cached.statement;
    struct ResetOnExit {
      sqlite3_stmt* statement;
      ~ResetOnExit() {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
      }
    } reset{statement};
    Bind(statement, params, sql);

    const sqlite3_int64 changes_before = sqlite3_total_changes64(db_);
    const int columns = sqlite3_column_count(statement);
    for (;;) {
      const int rc = sqlite3_step(statement);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        const int code = sqlite3_reset(statement);
        Throw(code != SQLITE_OK ? sqlite3_extended_errcode(db_) : rc, sqlite3_errmsg(db_), sql);
      }
      if (rows == nullptr) continue;
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) values.push_back(ColumnValue(statement, c));
      rows->emplace_back(cached.names, std::move(values));
    }
    if (sqlite3_stmt_readonly(statement) != 0) return 0;
    if (sqlite3_total_changes64(db_) == changes_before) return 0;
    return sqlite3_changes64(db_);
  }

  sqlite3* db_;
  std::unordered_map<std::string, Cached, SqlHash, std::equal_to<>> cache_;
};

}  // namespace

std::unique_ptr<SqliteDatabase> SqliteDatabase::Open(SqliteOptions options) {
  // Memory statistics (on by default) take a global mutex around every SQLite allocation, which
  // every query makes; nothing reads them. Only possible before SQLite initializes, hence once,
  // and refused (harmlessly) when something in the process already used SQLite.
  static std::once_flag memstatus_off;
  std::call_once(memstatus_off, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  // Every connection to ":memory:" would be a separate, empty database.
  if (options.path == ":memory:" || options.path.empty()) {
    options.path = ":memory:";
    options.pool_size = 1;
  }
  auto pool =
      std::make_unique<ConnectionPool>([options] { return SqliteConnection::Open(options); },
                                       options.pool_size, options.acquire_timeout);
  pool->Acquire();  // open one connection now so a bad path fails here, not on first use
  return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(std::move(options), std::move(pool)));
}

SqliteDatabase::SqliteDatabase(SqliteOptions options, std::unique_ptr<ConnectionPool> pool)
    : options_(std::move(options)), pool_(std::move(pool)) {}

SqliteDatabase::~SqliteDatabase() = default;

ConnectionLease SqliteDatabase::Acquire() { return pool_->Acquire(); }

}  // namespace mgw::storage
