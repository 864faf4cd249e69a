#include "controlplane/storage/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace mgw::testing {
namespace {

namespace fs = std::filesystem;

constexpr auto kReadyDeadline = std::chrono::seconds(60);
constexpr auto kPollInterval = std::chrono::milliseconds(5);

fs::path BinDir() {
  if (const char* env = std::getenv("MGW_POSTGRES_BIN_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef MGW_POSTGRES_BIN_DIR
  return MGW_POSTGRES_BIN_DIR;
#else
  return {};
#endif
}

// Who runs initdb and postgres: ourselves, or the postgres user when we are root.
struct Identity {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

Identity ServerIdentity() {
  Identity identity;
  if (geteuid() != 0) return identity;
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    throw std::runtime_error("running as root, but there is no 'postgres' user to run the server");
  }
  identity.switch_user = true;
  identity.uid = pw->pw_uid;
  identity.gid = pw->pw_gid;
  return identity;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// fork + exec with stdout/stderr appended to `log`, in `dir`, as `identity`. The child gets
// SIGINT when this thread's process goes away, so a crashed test leaves no server behind.
pid_t Spawn(const std::vector<std::string>& args, const fs::path& dir, const fs::path& log,
            const Identity& identity) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) throw std::runtime_error("cannot open " + log.string());
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    if (identity.switch_user &&
        (setgroups(0, nullptr) != 0 || setgid(identity.gid) != 0 || setuid(identity.uid) != 0)) {
      _exit(126);
    }
    // After setuid: a credential change clears the parent-death signal.
    prctl(PR_SET_PDEATHSIG, SIGINT);
    if (getppid() != parent) _exit(125);
    if (chdir(dir.c_str()) != 0) _exit(124);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string PercentEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

bool PostgresServer::Available() {
  const fs::path bin = BinDir();
  return !bin.empty() && access((bin / "initdb").c_str(), X_OK) == 0 &&
         access((bin / "postgres").c_str(), X_OK) == 0;
}

std::unique_ptr<PostgresServer> PostgresServer::Start() {
  if (!Available()) {
    throw std::runtime_error("PostgreSQL server binaries not found (set MGW_POSTGRES_BIN_DIR)");
  }
  const fs::path bin = BinDir();
  const Identity identity = ServerIdentity();

  std::string pattern = (fs::temp_directory_path() / "mgw-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  }
  auto server = std::unique_ptr<PostgresServer>(new PostgresServer());
  server->dir_ = pattern;
  if (identity.switch_user && chown(pattern.c_str(), identity.uid, identity.gid) != 0) {
    throw std::runtime_error(std::string("chown: ") + std::strerror(errno));
  }
  const fs::path data = server->dir_ / "data";
  const fs::path log = server->dir_ / "postgres.log";

  const int initdb =
      WaitExit(Spawn({(bin / "initdb").string(), "-D", data.string(), "-U", "postgres", "-A",
                      "trust", "-E", "UTF8", "--no-locale", "--no-sync"},
                     server->dir_, log, identity));
  if (initdb != 0) {
    throw std::runtime_error("initdb failed (" + std::to_string(initdb) + "):\n" + ReadFile(log));
  }

  server->pid_ =
      Spawn({(bin / "postgres").string(), "-D", data.string(), "-k", server->dir_.string(), "-p",
             std::to_string(server->port_), "-c", "listen_addresses=", "-c", "fsync=off", "-c",
             "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"},
            server->dir_, log, identity);

  const std::string ping = "host=" + server->dir_.string() +
                           " port=" + std::to_string(server->port_) +
                           " user=postgres dbname=postgres";
  const auto deadline = std::chrono::steady_clock::now() + kReadyDeadline;
  for (;;) {
    if (PQping(ping.c_str()) == PQPING_OK) break;
    int status = 0;
    if (waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
      server->pid_ = -1;
      throw std::runtime_error("postgres exited during start-up:\n" + ReadFile(log));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("postgres not ready within the deadline:\n" + ReadFile(log));
    }
    std::this_thread::sleep_for(kPollInterval);  // poll interval, not a guess at readiness
  }
  return server;
}

PostgresServer::~PostgresServer() { Stop(); }

void PostgresServer::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGINT);  // fast shutdown: abort transactions, disconnect clients, exit
    WaitExit(pid_);
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    dir_.clear();
  }
}

std::string PostgresServer::ConnectionUri(const std::string& database) const {
  return "postgresql:///" + database + "?host=" + PercentEncode(dir_.string()) +
         "&port=" + std::to_string(port_) + "&user=postgres";
}

std::string PostgresServer::CreateDatabase() {
  std::string name;
  {
    std::lock_guard lock(mutex_);
    name = "mgw_test_" + std::to_string(getpid()) + "_" + std::to_string(++next_database_);
  }
  PGconn* conn = PQconnectdb(ConnectionUri("postgres").c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, ("CREATE DATABASE " + name).c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error("CREATE DATABASE " + name + ": " + error);
  return ConnectionUri(name);
}

namespace {

struct Shared {
  std::mutex mutex;
  std::unique_ptr<PostgresServer> server;
  std::string start_error;  // a failed start is not retried by every test
};

Shared& SharedState() {
  static Shared shared;
  return shared;
}

class SharedServerEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    Shared& shared = SharedState();
    std::lock_guard lock(shared.mutex);
    shared.server.reset();
  }
};

[[maybe_unused]] ::testing::Environment* const kSharedServerEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedServerEnvironment);

}  // namespace

PostgresServer& SharedPostgresServer() {
  Shared& shared = SharedState();
  std::lock_guard lock(shared.mutex);
  if (!shared.server) {
    if (!shared.start_error.empty()) throw std::runtime_error(shared.start_error);
    try {
      shared.server = PostgresServer::Start();
    } catch (const std::exception& e) {
      shared.start_error = e.what();
      throw;
    }
  }
  return *shared.server;
}

}  // namespace mgw::testing
