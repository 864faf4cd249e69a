// Scheduled conferences against a real mgw-controlplane (SQLite and PostgreSQL): the creation job
// is interrupted by `kill -9` right after its transaction committed (the test-only failpoint
// MGW_TEST_FAILPOINT=schedule.create.committed), the process is started again, and afterwards
// exactly one conference exists and each invitation reached a real webhook receiver exactly
// once. Every API response is checked against api/openapi.yaml, as in the API test.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "api_client.h"
#include "child_process.h"
#include "controlplane/storage/postgres_server.h"
#include "controlplane_process.h"
#include "mgw/common/http_server.h"
#include "mgw/storage/database.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

enum class Backend { kSqlite, kPostgres };

// A webhook receiver: counts the POSTs per "<event> <participant email>".
class WebhookReceiver {
 public:
  WebhookReceiver() : server_({}, [this](const http::Request& request) { return Take(request); }) {
    server_.Start();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + "/hooks";
  }
  std::map<std::string, int> Counts() {
    std::lock_guard lock(mutex_);
    return counts_;
  }
  int Total() {
    std::lock_guard lock(mutex_);
    int total = 0;
    for (const auto& [key, count] : counts_) total += count;
    return total;
  }

 private:
  http::Response Take(const http::Request& request) {
    json::object body = json::parse(request.body).as_object();
    std::lock_guard lock(mutex_);
    ++counts_[std::string(body.at("event").as_string()) + " " +
              std::string(body.at("participant").at("email").as_string())];
    return {204, "application/json", {}, ""};
  }

  std::mutex mutex_;
  std::map<std::string, int> counts_;
  http::Server server_;
};

std::pair<int, std::string> ValidateAgainstSpec(const std::string& records) {
  ChildProcess node(
      {.args = {MGW_NODE_EXECUTABLE, SourcePath("tests/controlplane/daemon/validate_responses.mjs"),
                SourcePath("api/openapi.yaml"), records}});
  std::optional<int> status = node.WaitForExit(60s);
  return {status.value_or(-1), node.output()};
}

// Polls `done` until it holds or the deadline passes: waiting on an observable condition.
template <typename Fn>
bool Eventually(Fn&& done, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

class ScheduleIntegrationTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
      postgres_uri_ = SharedPostgresServer().CreateDatabase();
    }
  }

  void TearDown() override {
    api_.reset();
    server_.reset();
    auto [status, output] = ValidateAgainstSpec(records_);
    EXPECT_EQ(status, 0) << "responses off api/openapi.yaml:\n" << output;
  }

  // Jobs are polled often and a dead worker's lease is short, so the test runs in seconds.
  void Start(bool failpoint) {
    api_.reset();
    server_.reset();
    std::vector<std::pair<std::string, std::string>> env = {
        {"MGW_SCHEDULES_INVITATION_WEBHOOK_URL", receiver_.url()},
        {"MGW_SCHEDULES_INVITATION_EMAIL", "false"},
        {"MGW_SCHEDULES_ALIAS_PREFIX", "vh"},
        {"MGW_SCHEDULES_ALIAS_DOMAIN", "example.org"},
        {"MGW_SCHEDULES_JOIN_ADDRESS", "meet.example.org"},
        {"MGW_CONTROLPLANE_JOBS_POLL_INTERVAL_MS", "50"},
        {"MGW_CONTROLPLANE_JOBS_LEASE_MS", "1000"}};
    if (failpoint) env.emplace_back("MGW_TEST_FAILPOINT", "schedule.create.committed");
    server_ = std::make_unique<ControlplaneProcess>(dir_.File("state"), postgres_uri_, env);
    ASSERT_TRUE(server_->started()) << server_->child().output();
    api_ = std::make_unique<ApiClient>(server_->port(), records_);
  }

  std::unique_ptr<storage::Database> OpenDatabase() const {
    return storage::OpenDatabase(postgres_uri_ ? *postgres_uri_ : dir_.File("state") + "/mgw.db");
  }

  std::int64_t Count(storage::Database& db, const std::string& sql) {
    return db.QueryOne(sql)->GetInt64(0);
  }

  TempDir dir_;
  std::string records_ = dir_.File("responses.jsonl");
  std::optional<std::string> postgres_uri_;
  WebhookReceiver receiver_;
  std::unique_ptr<ControlplaneProcess> server_;
  std::unique_ptr<ApiClient> api_;
};

TEST_P(ScheduleIntegrationTest, KillDuringCreationLeavesOneConferenceAndOneInvitationEach) {
  ASSERT_NO_FATAL_FAILURE(Start(/*failpoint=*/true));
  api_->SignUp("clerk@example.com", "password-clerk");
  const std::string token = api_->Login("clerk@example.com", "password-clerk");
  const std::string body = json::serialize(json::object{
      {"title", "Hearing 17"},
      {"starts_at", "2030-03-17T09:00:00Z"},
      {"duration", 3600},
      {"participants", json::array{json::object{{"email", "judge@example.com"}, {"role", "host"}},
                                   json::object{{"email", "witness@example.com"}}}}});
  ApiClient::Reply created = api_->Call("POST", "/schedule", body, token);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::int64_t id = created.Json().at("id").as_int64();
  EXPECT_EQ(created.Json().at("status").as_string(), "pending");
  EXPECT_EQ(created.Header("location"), "/schedule/" + std::to_string(id));

  // The creation job commits, then the process SIGKILLs itself before completing the job.
  std::optional<int> status = server_->child().WaitForExit(30s);
  ASSERT_EQ(status, 128 + 9) << server_->child().output();
  {
    std::unique_ptr<storage::Database> db = OpenDatabase();
    EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM conferences"), 1);
    EXPECT_EQ(Count(*db,
                    "SELECT COUNT(*) FROM jobs WHERE kind = 'schedule.create' AND "
                    "state = 'running'"),
              1);  // the interrupted attempt
    EXPECT_EQ(Count(*db,
                    "SELECT COUNT(*) FROM jobs WHERE kind = 'webhook.deliver' AND "
                    "state = 'pending'"),
              2);  // committed with it, not sent yet
  }
  EXPECT_EQ(receiver_.Total(), 0);

  // Restarted without the failpoint: the lease runs out, the job runs again and adopts what the
  // first attempt committed; the invitations go out.
  ASSERT_NO_FATAL_FAILURE(Start(/*failpoint=*/false));
  std::unique_ptr<storage::Database> db = OpenDatabase();
  ASSERT_TRUE(Eventually([&] {
    return Count(*db,
                 "SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'running') AND "
                 "kind <> 'schedule.cleanup'") == 0;
  })) << server_->child().output();
  EXPECT_EQ(Count(*db,
                  "SELECT COUNT(*) FROM jobs WHERE kind = 'schedule.create' AND "
                  "state = 'done' AND attempts = 2"),
            1);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'"), 0);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM conferences"), 1);
  EXPECT_EQ(receiver_.Counts(),
            (std::map<std::string, int>{{"schedule.invitation judge@example.com", 1},
                                        {"schedule.invitation witness@example.com", 1}}));

  ApiClient::Reply active = api_->Call("GET", "/schedule/" + std::to_string(id), "", token);
  ASSERT_EQ(active.status, 200) << active.body;
  const json::value schedule = active.Json();
  EXPECT_EQ(schedule.at("status").as_string(), "active");
  const std::string number = std::to_string(schedule.at("alias_number").as_int64());
  EXPECT_EQ(schedule.at("aliases"),
            json::value(json::array{"vh" + number, "vh" + number + ".example.org", number}));
  EXPECT_NE(schedule.at("host_pin"), schedule.at("guest_pin"));
  const json::value& judge = schedule.at("participants").at(0);
  EXPECT_EQ(judge.at("join_link").as_string(),
            "https://meet.example.org/webapp/?conference=vh" + number +
                ".example.org&name=judge&bw=576&pin=" +
                std::string(schedule.at("host_pin").as_string()) + "&join=1&role=host");

  // A new email over HTTP: that participant only.
  const std::int64_t witness = schedule.at("participants").at(1).at("id").as_int64();
  ApiClient::Reply changed = api_->Call(
      "PATCH", "/schedule/" + std::to_string(id),
      json::serialize(
          json::object{{"participants",
                        json::array{json::object{{"id", witness}, {"email", "w2@example.com"}}}}}),
      token);
  ASSERT_EQ(changed.status, 200) << changed.body;
  ASSERT_TRUE(Eventually([&] { return receiver_.Total() == 3; }));
  EXPECT_EQ(receiver_.Counts()["schedule.invitation w2@example.com"], 1);

  // Cancel: everyone is told; a second cancel is 409.
  ApiClient::Reply cancelled =
      api_->Call("POST", "/schedule/" + std::to_string(id) + "/cancel", "", token);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.Json().at("status").as_string(), "cancelled");
  ASSERT_TRUE(Eventually([&] { return receiver_.Total() == 5; }));
  EXPECT_EQ(receiver_.Counts()["schedule.cancelled judge@example.com"], 1);
  EXPECT_EQ(receiver_.Counts()["schedule.cancelled w2@example.com"], 1);
  ApiClient::Reply again =
      api_->Call("POST", "/schedule/" + std::to_string(id) + "/cancel", "", token);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.ProblemType(), "/problems/schedule-closed");
}

TEST_P(ScheduleIntegrationTest, RefusesBadRequestsWithProblems) {
  ASSERT_NO_FATAL_FAILURE(Start(/*failpoint=*/false));
  api_->SignUp("clerk@example.com", "password-clerk");
  const std::string token = api_->Login("clerk@example.com", "password-clerk");
  auto create = [&](const std::string& body) {
    return api_->Call("POST", "/schedule", body, token);
  };
  ApiClient::Reply malformed = create("{");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.ProblemType(), "/problems/malformed-json");
  ApiClient::Reply bad_time = create(R"({"starts_at": "tomorrow", "duration": 60,
                                         "participants": [{"email": "a@example.com"}]})");
  EXPECT_EQ(bad_time.status, 422);
  EXPECT_EQ(bad_time.Json().at("field").as_string(), "starts_at");
  ApiClient::Reply bad_role = create(R"({"starts_at": "2030-03-17T09:00:00Z", "duration": 60,
      "participants": [{"email": "a@example.com", "role": "judge"}]})");
  EXPECT_EQ(bad_role.status, 422);
  EXPECT_EQ(bad_role.Json().at("field").as_string(), "participants[0].role");
  ApiClient::Reply unknown = create(R"({"starts_at": "2030-03-17T09:00:00Z", "duration": 60,
      "participants": [{"email": "a@example.com"}], "colour": "red"})");
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(unknown.ProblemType(), "/problems/unknown-field");
  ApiClient::Reply backwards = create(R"({"starts_at": "2030-03-17T09:00:00Z",
      "ends_at": "2030-03-17T08:00:00+00:00", "participants": [{"email": "a@example.com"}]})");
  EXPECT_EQ(backwards.status, 422);
  EXPECT_EQ(backwards.Json().at("field").as_string(), "ends_at");
  EXPECT_EQ(api_->Call("GET", "/schedule/999", "", token).status, 404);
  EXPECT_EQ(api_->Call("GET", "/schedule/x", "", token).status, 404);
  EXPECT_EQ(api_->Call("DELETE", "/schedule/1", "", token).status, 405);
  EXPECT_EQ(api_->Call("GET", "/schedule", "").status, 401);
  ApiClient::Reply list = api_->Call("GET", "/schedule?limit=5", "", token);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.Json().at("total").as_int64(), 0);

  // Someone else's schedule does not exist for the caller.
  ApiClient::Reply mine = create(R"({"starts_at": "2030-03-17T09:00:00.500+02:00",
      "duration": 60, "participants": [{"email": "a@example.com", "name": "A"}]})");
  ASSERT_EQ(mine.status, 201) << mine.body;
  EXPECT_EQ(mine.Json().at("starts_at").as_string(), "2030-03-17T07:00:00.500Z");
  api_->SignUp("other@example.com", "password-other");
  const std::string other = api_->Login("other@example.com", "password-other");
  EXPECT_EQ(
      api_->Call("GET", "/schedule/" + std::to_string(mine.Json().at("id").as_int64()), "", other)
          .status,
      404);
}

INSTANTIATE_TEST_SUITE_P(Backends, ScheduleIntegrationTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace mgw::testing
