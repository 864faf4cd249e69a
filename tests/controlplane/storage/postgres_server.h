#pragma once

// A throwaway PostgreSQL server for tests, started and stopped by the test binary itself.
//
//   #include "controlplane/storage/postgres_server.h"   (link mgw_test_postgres_server)
//
//   ASSERT_TRUE(mgw::testing::PostgresServer::Available()) << "no PostgreSQL binaries";
//   std::string uri = mgw::testing::SharedPostgresServer().CreateDatabase();
//   auto db = mgw::storage::PostgresDatabase::Open({.uri = uri});
//
// How it runs: initdb into a fresh directory under $TMPDIR (or /tmp), then `postgres` listening
// only on a unix socket in that directory (listen_addresses='', no TCP port), with fsync off.
// When the test runs as root, both run as the `postgres` system user (PostgreSQL refuses root);
// the directory is handed to that user. Readiness is awaited by polling PQping on the socket,
// bounded by a deadline, and a server that exits early fails the start with its log. The server
// dies with the test process (PR_SET_PDEATHSIG) even when the test crashes; Stop() (or the
// destructor) shuts it down with SIGINT and removes the directory.
//
// Binaries come from $MGW_POSTGRES_BIN_DIR, else the directory found at configure time
// (the newest /usr/lib/postgresql/*/bin).
//
// SharedPostgresServer() starts one server per test binary on first use; a gtest global
// environment registered by the library stops it after the last test. CreateDatabase() gives each
// test its own empty database, so tests stay independent without a server each. Make the first
// call from the main thread (a fixture's SetUp does): the parent-death signal is tied to the
// thread that started the server, so a server started from a short-lived thread would stop with it.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace mgw::testing {

class PostgresServer {
 public:
  // Throws std::runtime_error (with the server log) when the server cannot be started.
  static std::unique_ptr<PostgresServer> Start();
  // True when initdb and postgres binaries were found.
  static bool Available();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();

  // Creates an empty database with a unique name; returns its libpq connection URI.
  std::string CreateDatabase();
  // Connection URI for an existing database (user `postgres`, trust authentication).
  std::string ConnectionUri(const std::string& database) const;
  const std::filesystem::path& socket_dir() const { return dir_; }
  int port() const { return port_; }
  // Shuts the server down (fast shutdown) and removes its directory. Idempotent.
  void Stop();

 private:
  PostgresServer() = default;

  std::filesystem::path dir_;  // holds data/, the socket and postgres.log
  int port_ = 5432;            // names the socket file only; no TCP port is opened
  pid_t pid_ = -1;
  std::mutex mutex_;
  int next_database_ = 0;
};

// The binary's shared server, started on first call (thread-safe). Throws like Start().
PostgresServer& SharedPostgresServer();

}  // namespace mgw::testing
