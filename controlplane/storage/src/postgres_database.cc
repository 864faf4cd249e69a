#include "mgw/storage/postgres_database.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <charconv>
#include <cstdlib>
#include <functional>
#include <memory>
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

// Built-in type OIDs (pg_type.h; fixed since forever). Everything else is returned as text.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;

StorageErrorKind KindForSqlState(std::string_view state) {
  auto starts = [&](std::string_view prefix) { return state.substr(0, prefix.size()) == prefix; };
  if (state == "23505") return StorageErrorKind::kUniqueViolation;
  if (starts("23")) return StorageErrorKind::kConstraintViolation;
  // serialization_failure, deadlock_detected, lock_not_available.
  if (state == "40001" || state == "40P01" || state == "55P03") return StorageErrorKind::kConflict;
  // connection_exception, insufficient_resources, admin/crash shutdown, cannot_connect_now.
  if (starts("08") || starts("53") || starts("57P")) return StorageErrorKind::kUnavailable;
  if (starts("22")) return StorageErrorKind::kInvalidArgument;  // data exception: bad input
  return StorageErrorKind::kInternal;
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

std::string TrimmedMessage(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Owns a PGresult.
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

Value CellValue(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) != 0) return Value();
  const char* text = PQgetvalue(result, row, column);
  const auto length = static_cast<std::size_t>(PQgetlength(result, row, column));
  switch (PQftype(result, column)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      std::int64_t n = 0;
      std::from_chars(text, text + length, n);
      return Value(n);
    }
    case kFloat4Oid:
    case kFloat8Oid:
      return Value(std::strtod(text, nullptr));  // also parses NaN and Infinity
    case kBoolOid:
      return Value(std::int64_t{text[0] == 't' ? 1 : 0});
    default:
      return Value(std::string(text, length));  // NUMERIC stays text: no precision lost
  }
}

class PostgresConnection final : public Connection {
 public:
  static std::unique_ptr<Connection> Open(const std::string& uri) {
    PGconn* conn = PQconnectdb(uri.c_str());
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
      // The message never repeats the URI, so a password in it is not logged.
      std::string message = conn != nullptr ? TrimmedMessage(PQerrorMessage(conn)) : "no memory";
      PQfinish(conn);
      throw StorageError(StorageErrorKind::kUnavailable,
                         "cannot connect to PostgreSQL: " + message);
    }
    // Notices ("relation already exists, skipping", ...) are not errors; keep them off stderr.
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    return std::unique_ptr<Connection>(new PostgresConnection(conn));
  }

  ~PostgresConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }

  std::int64_t Execute(std::string_view sql, const Params& params) override {
    Result result = Run(sql, params);
    // PQcmdTuples also counts the rows a SELECT returned; Execute() promises changed rows only.
    if (std::string_view(PQcmdStatus(result.get())).starts_with("SELECT")) return 0;
    const char* tuples = PQcmdTuples(result.get());
    std::int64_t count = 0;
    std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), count);
    return count;
  }

  std::vector<Row> Query(std::string_view sql, const Params& params) override {
    std::shared_ptr<const std::vector<std::string>> names;
    Result result = Run(sql, params, &names);
    const int rows = PQntuples(result.get());
    const int columns = PQnfields(result.get());
    std::vector<Row> out;
    out.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) values.push_back(CellValue(result.get(), r, c));
      out.emplace_back(names, std::move(values));
    }
    return out;
  }

  void ExecuteScript(std::string_view sql) override { Exec(std::string(sql)); }

  void Begin() override { Exec("BEGIN"); }

  void Commit() override {
    Result result = Exec("COMMIT");
    // COMMIT of a transaction aborted by an earlier error "succeeds" as a ROLLBACK.
    if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
      throw StorageError(StorageErrorKind::kInvalidArgument,
                         "postgres: transaction rolled back at COMMIT because a statement in it "
                         "failed");
    }
  }

  void Rollback() override { Exec("ROLLBACK"); }

  bool ReusableAfterRelease() const override {
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

  bool AliveForReuse() override {
    // An idle connection has nothing to read unless the server sent a notice or closed it (a
    // restart, pg_terminate_backend, an idle timeout). Read what is there; reaching EOF marks
    // the connection bad, so the pool opens a new one instead of failing the caller's statement.
    for (int i = 0; i < 8 && PQstatus(conn_) == CONNECTION_OK; ++i) {
      pollfd fd{PQsocket(conn_), POLLIN, 0};
      if (poll(&fd, 1, 0) <= 0) break;
      if (PQconsumeInput(conn_) == 0) return false;
      while (PGnotify* notify = PQnotifies(conn_)) PQfreemem(notify);
    }
    return PQstatus(conn_) == CONNECTION_OK;
  }

 private:
  struct Prepared {
    std::string name;
    int parameter_count = 0;
    // Read once from the description: every row the statement returns shares them.
    std::shared_ptr<const std::vector<std::string>> column_names;
  };

  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}

  [[noreturn]] void ThrowFor(const PGresult* result, std::string_view sql) {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = result != nullptr ? TrimmedMessage(PQresultErrorMessage(result)) : "";
    if (message.empty()) message = TrimmedMessage(PQerrorMessage(conn_));
    const StorageErrorKind kind = PQstatus(conn_) != CONNECTION_OK
                                      ? StorageErrorKind::kUnavailable
                                      : KindForSqlState(state != nullptr ? state : "");
    throw StorageError(kind, fmt::format("postgres: {} [{}] (in: {})", message,
                                         state != nullptr ? state : "no sqlstate", Shorten(sql)));
  }

  Result Check(PGresult* raw, std::string_view sql) {
    Result result(raw);
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) ThrowFor(result.get(), sql);
    return result;
  }

  Result Exec(const std::string& sql) { return Check(PQexec(conn_, sql.c_str()), sql); }

  const Prepared& Prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedStatements) {
      if (PQtransactionStatus(conn_) == PQTRANS_IDLE) {
        Exec("DEALLOCATE ALL");
        cache_.clear();
      }
    }
    const std::string text = TranslatePlaceholders(sql, Dialect::kPostgres);
    Prepared prepared{"mgw_" + std::to_string(++statement_counter_), 0};
    Check(PQprepare(conn_, prepared.name.c_str(), text.c_str(), 0, nullptr), sql);
    Result description = Check(PQdescribePrepared(conn_, prepared.name.c_str()), sql);
    prepared.parameter_count = PQnparams(description.get());
    auto names = std::make_shared<std::vector<std::string>>();
    for (int c = 0; c < PQnfields(description.get()); ++c) {
      names->emplace_back(PQfname(description.get(), c));
    }
    prepared.column_names = std::move(names);
    return cache_.emplace(std::string(sql), std::move(prepared)).first->second;
  }

  // `column_names`, when given, receives the statement's column names.
  Result Run(std::string_view sql, const Params& params,
             std::shared_ptr<const std::vector<std::string>>* column_names = nullptr) {
    const Prepared& prepared = Prepare(sql);
    if (column_names != nullptr) *column_names = prepared.column_names;
    if (static_cast<std::size_t>(prepared.parameter_count) != params.size()) {
      throw StorageError(StorageErrorKind::kInvalidArgument,
                         fmt::format("statement takes {} parameters, {} given: {}",
                                     prepared.parameter_count, params.size(), Shorten(sql)));
    }
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value::Variant& v = params[i].variant();
      if (const auto* s = std::get_if<std::string>(&v)) {
        values[i] = s->c_str();
      } else if (!params[i].is_null()) {
        texts[i] = params[i].AsString();
        values[i] = texts[i].c_str();
      }
    }
    PGresult* raw = PQexecPrepared(conn_, prepared.name.c_str(), static_cast<int>(params.size()),
                                   values.data(), nullptr, nullptr, 0);
    const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
      // "cached plan must not change result type": a migration changed a table under a cached
      // statement. Forget it so the next call prepares it afresh.
      if (state != nullptr && std::string_view(state) == "0A000") cache_.erase(std::string(sql));
    }
    return Check(raw, sql);
  }

  PGconn* conn_;
  std::unordered_map<std::string, Prepared, SqlHash, std::equal_to<>> cache_;
  std::uint64_t statement_counter_ = 0;
};

}  // namespace

std::unique_ptr<PostgresDatabase> PostgresDatabase::Open(PostgresOptions options) {
  auto pool = std::make_unique<ConnectionPool>(
      [uri = options.uri] { return PostgresConnection::Open(uri); }, options.pool_size,
      options.acquire_timeout);
  pool->Acquire();  // connect once now so a bad URI or a down server fails here
  return std::unique_ptr<PostgresDatabase>(
      new PostgresDatabase(std::move(options), std::move(pool)));
}

PostgresDatabase::PostgresDatabase(PostgresOptions options, std::unique_ptr<ConnectionPool> pool)
    : options_(std::move(options)), pool_(std::move(pool)) {}

PostgresDatabase::~PostgresDatabase() = default;

ConnectionLease PostgresDatabase::Acquire() { return pool_->Acquire(); }

}  // namespace mgw::storage
