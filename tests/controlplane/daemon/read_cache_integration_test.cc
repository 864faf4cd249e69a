// The read caches (controlplane.cache.*) with real mgw-controlplane processes: what a write
// changes is never served afterwards. On SQLite through one control plane (local eviction after
// the commit); on PostgreSQL across two control planes, where B learns of A's writes by NOTIFY
// mgw_cache: the test waits for B's eviction metric to show that the notification arrived (no
// sleeps), then B must answer with the new state. Responses are checked against api/openapi.yaml.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "api_client.h"
#include "child_process.h"
#include "controlplane/storage/postgres_server.h"
#include "controlplane_process.h"
#include "mgw/storage/database.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::pair<int, std::string> ValidateAgainstSpec(const std::string& records) {
  ChildProcess node(
      {.args = {MGW_NODE_EXECUTABLE, SourcePath("tests/controlplane/daemon/validate_responses.mjs"),
                SourcePath("api/openapi.yaml"), records}});
  std::optional<int> status = node.WaitForExit(60s);
  return {status.value_or(-1), node.output()};
}

std::string Body(const json::object& object) { return json::serialize(object); }

// One sample of a scrape, e.g. Sample(text, "mgw_cache_hits_total{cache=\"meetings\"}"); -1 when
// the scrape has no such line.
double Sample(const std::string& scrape, const std::string& series) {
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

std::string Evictions(const std::string& cache, const std::string& cause) {
  return "mgw_cache_evictions_total{cache=\"" + cache + "\",cause=\"" + cause + "\"}";
}

std::string Hits(const std::string& cache) {
  return "mgw_cache_hits_total{cache=\"" + cache + "\"}";
}

// Polls `condition` until it holds or 20 s pass (an observable condition, not a sleep).
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

class CacheClient {
 public:
  CacheClient(uint16_t port, const std::string& records) : api(port, records) {}

  double Metric(const std::string& series) {
    return Sample(api.Call("GET", "/metrics").body, series);
  }

  // GETs `target` until this control plane's `cache` answers it (its hit counter moves): the
  // entry is then cached, so a later eviction of it is counted.
  bool Warm(const std::string& target, const std::string& token, const std::string& cache) {
    const double before = Metric(Hits(cache));
    return Eventually([&] {
      EXPECT_EQ(api.Call("GET", target, "", token).status, 200);
      return Metric(Hits(cache)) > before;
    });
  }

  ApiClient api;
};

// The token of `email`'s other session: the one that is not `current_token`.
std::int64_t OtherTokenId(ApiClient& api, const std::string& current_token) {
  auto tokens = api.Call("GET", "/account/tokens", "", current_token);
  EXPECT_EQ(tokens.status, 200) << tokens.body;
  const json::value list = tokens.Json();
  for (const auto& item : list.at("items").as_array()) {
    if (!item.at("current").as_bool()) return item.at("id").as_int64();
  }
  ADD_FAILURE() << "no other token";
  return 0;
}

TEST(ReadCacheSqliteTest, WritesAreSeenAtOnceThroughOneControlPlane) {
  TempDir dir;
  const std::string records = dir.File("responses.jsonl");
  ControlplaneProcess server(dir.File("state"), std::nullopt);
  ASSERT_TRUE(server.started()) << server.child().output();
  {
    CacheClient cp(server.port(), records);
    cp.api.SignUp("host@example.com", "host password");
    cp.api.SignUp("guest@example.com", "guest password");
    const std::string host = cp.api.Login("host@example.com", "host password");
    const std::string second = cp.api.Login("host@example.com", "host password");
    const std::string guest = cp.api.Login("guest@example.com", "guest password");
    auto created = cp.api.Call("POST", "/meeting", Body({{"title", "cached"}}), host);
    ASSERT_EQ(created.status, 201);
    const std::string path = "/meeting/" + std::string(created.Json().at("id").as_string());

    // The second session is cached, then revoked: refused at once.
    ASSERT_TRUE(cp.Warm(path, second, "credentials"));
    const std::int64_t second_id = OtherTokenId(cp.api, host);
    EXPECT_EQ(
        cp.api.Call("DELETE", "/account/tokens/" + std::to_string(second_id), "", host).status,
        204);
    auto refused = cp.api.Call("GET", path, "", second);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.ProblemType(), "/problems/invalid-token");
    EXPECT_GE(cp.Metric(Evictions("credentials", "local_write")), 1);

    // Join, end and delete each show in the next GET of the cached meeting.
    ASSERT_TRUE(cp.Warm(path, host, "meetings"));
    EXPECT_EQ(cp.api.Call("GET", path, "", host).Json().at("participant_count"), 0);
    ASSERT_EQ(
        cp.api.Call("POST", "/meeting/join", Body({{"meeting_id", path.substr(9)}}), guest).status,
        200);
    EXPECT_EQ(cp.api.Call("GET", path, "", host).Json().at("participant_count"), 1);
    ASSERT_TRUE(cp.Warm(path, host, "meetings"));
    ASSERT_EQ(cp.api.Call("POST", "/meeting/end/" + path.substr(9), "", host).status, 200);
    auto ended = cp.api.Call("GET", path, "", host);
    EXPECT_EQ(ended.Json().at("state"), "ended");
    EXPECT_EQ(ended.Json().at("participant_count"), 0);
    ASSERT_TRUE(cp.Warm(path, host, "meetings"));
    ASSERT_EQ(cp.api.Call("DELETE", path, "", host).status, 204);
    EXPECT_EQ(cp.api.Call("GET", path, "", host).status, 404);
    EXPECT_GE(cp.Metric(Evictions("meetings", "local_write")), 3);
  }
  auto [status, output] = ValidateAgainstSpec(records);
  EXPECT_EQ(status, 0) << output;
}

TEST(ReadCacheClusterTest, AWriteOnOneControlPlaneIsNeverServedByTheOther) {
  ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
  const std::string uri = SharedPostgresServer().CreateDatabase();
  TempDir dir;
  const std::string records = dir.File("responses.jsonl");
  ControlplaneProcess a(dir.File("a"), uri);
  ASSERT_TRUE(a.started()) << a.child().output();
  ControlplaneProcess b(dir.File("b"), uri);
  ASSERT_TRUE(b.started()) << b.child().output();
  {
    CacheClient on_a(a.port(), records);
    CacheClient on_b(b.port(), records);
    EXPECT_EQ(on_b.Metric("mgw_cache_listen_up"), 1);
    on_a.api.SignUp("host@example.com", "host password");
    on_a.api.SignUp("guest@example.com", "guest password");
    const std::string host = on_a.api.Login("host@example.com", "host password");
    const std::string second = on_a.api.Login("host@example.com", "host password");
    const std::string guest = on_a.api.Login("guest@example.com", "guest password");
    auto created = on_a.api.Call("POST", "/meeting", Body({{"title", "shared"}}), host);
    ASSERT_EQ(created.status, 201);
    const std::string id(created.Json().at("id").as_string());
    const std::string path = "/meeting/" + id;

    // Revoked on A: B answers 401 once its eviction by notification is counted.
    ASSERT_TRUE(on_b.Warm(path, second, "credentials"));
    double seen = on_b.Metric(Evictions("credentials", "notification"));
    const std::int64_t second_id = OtherTokenId(on_a.api, host);
    ASSERT_EQ(
        on_a.api.Call("DELETE", "/account/tokens/" + std::to_string(second_id), "", host).status,
        204);
    ASSERT_TRUE(
        Eventually([&] { return on_b.Metric(Evictions("credentials", "notification")) > seen; }));
    auto refused = on_b.api.Call("GET", path, "", second);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.ProblemType(), "/problems/invalid-token");

    // A join through A changes B's participant_count.
    ASSERT_TRUE(on_b.Warm(path, host, "meetings"));
    EXPECT_EQ(on_b.api.Call("GET", path, "", host).Json().at("participant_count"), 0);
    seen = on_b.Metric(Evictions("meetings", "notification"));
    ASSERT_EQ(on_a.api.Call("POST", "/meeting/join", Body({{"meeting_id", id}}), guest).status,
              200);
    ASSERT_TRUE(
        Eventually([&] { return on_b.Metric(Evictions("meetings", "notification")) > seen; }));
    EXPECT_EQ(on_b.api.Call("GET", path, "", host).Json().at("participant_count"), 1);

    // Ended through A: B shows it ended.
    ASSERT_TRUE(on_b.Warm(path, host, "meetings"));
    seen = on_b.Metric(Evictions("meetings", "notification"));
    ASSERT_EQ(on_a.api.Call("POST", "/meeting/end/" + id, "", host).status, 200);
    ASSERT_TRUE(
        Eventually([&] { return on_b.Metric(Evictions("meetings", "notification")) > seen; }));
    auto ended = on_b.api.Call("GET", path, "", host);
    EXPECT_EQ(ended.Json().at("state"), "ended");
    EXPECT_EQ(ended.Json().at("participant_count"), 0);

    // Deleted through A: B answers 404.
    ASSERT_TRUE(on_b.Warm(path, host, "meetings"));
    seen = on_b.Metric(Evictions("meetings", "notification"));
    ASSERT_EQ(on_a.api.Call("DELETE", path, "", host).status, 204);
    ASSERT_TRUE(
        Eventually([&] { return on_b.Metric(Evictions("meetings", "notification")) > seen; }));
    EXPECT_EQ(on_b.api.Call("GET", path, "", host).status, 404);

    // The LISTEN connections are killed: both notice (a loss counted, the caches flushed and
    // bypassed) and come back.
    auto created_again = on_a.api.Call("POST", "/meeting", Body({{"title", "again"}}), host);
    ASSERT_EQ(created_again.status, 201);
    const std::string again = "/meeting/" + std::string(created_again.Json().at("id").as_string());
    ASSERT_TRUE(on_b.Warm(again, host, "meetings"));
    const double flushed = on_b.Metric(Evictions("meetings", "flush"));
    {
      std::unique_ptr<storage::Database> db = storage::OpenDatabase(uri);
      db->Query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN "
          "mgw_cache'");
    }
    ASSERT_TRUE(Eventually([&] { return on_b.Metric("mgw_cache_listen_losses_total") >= 1; }));
    EXPECT_GT(on_b.Metric(Evictions("meetings", "flush")), flushed);
    ASSERT_TRUE(Eventually([&] { return on_b.Metric("mgw_cache_listen_up") == 1; }));
    ASSERT_TRUE(on_b.Warm(again, host, "meetings"));  // caching again
  }
  auto [status, output] = ValidateAgainstSpec(records);
  EXPECT_EQ(status, 0) << output;
}

}  // namespace
}  // namespace mgw::testing
