// The durable jobs end to end: a real mgw-controlplane (SQLite and PostgreSQL) runs a webhook job
// against a real HTTP receiver started by the test, dead-letters it on a 400, raises the alert
// webhook once, and the job API (GET /jobs, GET /jobs/{id}, POST /jobs/{id}/retry) shows and
// retries it. Every response is checked against api/openapi.yaml, as in the API test.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "api_client.h"
#include "child_process.h"
#include "controlplane/storage/postgres_server.h"
#include "controlplane_process.h"
#include "mgw/common/http_server.h"
#include "mgw/service/notifications.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/job_store.h"
#include "temp_dir.h"
#include "webhook_receiver.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

enum class Backend { kSqlite, kPostgres };

std::pair<int, std::string> ValidateAgainstSpec(const std::string& records) {
  ChildProcess node(
      {.args = {MGW_NODE_EXECUTABLE, SourcePath("tests/controlplane/daemon/validate_responses.mjs"),
                SourcePath("api/openapi.yaml"), records}});
  std::optional<int> status = node.WaitForExit(60s);
  return {status.value_or(-1), node.output()};
}

using Receiver = WebhookReceiver;  // tests/support/webhook_receiver.h

class JobsApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
      postgres_uri_ = SharedPostgresServer().CreateDatabase();
    }
    server_ = std::make_unique<ControlplaneProcess>(
        dir_.File("state"), postgres_uri_,
        std::vector<std::pair<std::string, std::string>>{
            {"MGW_CONTROLPLANE_JOBS_POLL_INTERVAL_MS", "50"},
            {"MGW_CONTROLPLANE_JOBS_ALERT_WEBHOOK_URL", receiver_.url("/alerts")},
            {"MGW_NOTIFICATIONS_WEBHOOK_SECRET", "hook-secret"}});
    ASSERT_TRUE(server_->started()) << server_->child().output();
    api_ = std::make_unique<ApiClient>(server_->port(), records_);
    admin_ = api_->Login("admin", ControlplaneProcess::kAdminPassword);
  }

  void TearDown() override {
    api_.reset();
    auto [status, output] = ValidateAgainstSpec(records_);
    EXPECT_EQ(status, 0) << "responses off api/openapi.yaml:\n" << output;
  }

  std::string DatabaseUrl() const {
    return postgres_uri_ ? *postgres_uri_ : dir_.File("state") + "/mgw.db";
  }

  // GET /jobs/{id} until its state is `state` (the runner polls every 50 ms).
  json::value WaitForState(std::int64_t id, const std::string& state) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    json::value job;
    while (std::chrono::steady_clock::now() < deadline) {
      auto reply = api_->Call("GET", "/jobs/" + std::to_string(id), "", admin_);
      EXPECT_EQ(reply.status, 200) << reply.body;
      job = reply.Json();
      if (job.at("state").as_string() == state) return job;
      std::this_thread::yield();
    }
    ADD_FAILURE() << "job " << id << " never became " << state << ": " << json::serialize(job);
    return job;
  }

  Receiver receiver_;
  TempDir dir_;
  std::string records_ = dir_.File("responses.jsonl");
  std::optional<std::string> postgres_uri_;
  std::unique_ptr<ControlplaneProcess> server_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_;
};

TEST_P(JobsApiTest, AWebhookJobIsDeadLetteredAlertedRetriedAndDelivered) {
  receiver_.Script({400});  // the first delivery is refused: permanent
  std::int64_t id = 0;
  {
    // Enqueued the way services do it, straight into the server's database.
    auto db = storage::OpenDatabase(DatabaseUrl());
    storage::SystemClock clock;
    storage::JobStore jobs(*db, clock);
    id = service::EnqueueWebhook(*db, jobs, receiver_.url("/hooks"), "test.event",
                                 json::value{{"n", 1}})
             .id;
  }
  json::value dead = WaitForState(id, "dead");
  EXPECT_EQ(dead.at("kind").as_string(), "webhook.deliver");
  EXPECT_EQ(dead.at("attempts").as_int64(), 1);
  EXPECT_NE(dead.at("last_error").as_string().find("HTTP 400"), std::string::npos);
  EXPECT_EQ(dead.at("payload").at("event").as_string(), "test.event");

  // The dead letter raised exactly one alert job, which the runner delivers to /alerts.
  auto alerts =
      api_->Call("GET", "/jobs?kind=webhook.deliver&after_id=" + std::to_string(id), "", admin_);
  ASSERT_EQ(alerts.status, 200) << alerts.body;
  ASSERT_EQ(alerts.Json().at("total").as_int64(), 2);  // total ignores after_id
  ASSERT_EQ(alerts.Json().at("items").as_array().size(), 1u);
  const std::int64_t alert_id = alerts.Json().at("items").at(0).at("id").as_int64();
  json::value alert = WaitForState(alert_id, "done");
  EXPECT_EQ(alert.at("payload").at("event").as_string(), "job.dead_lettered");
  EXPECT_EQ(alert.at("payload").at("body").at("job_id").as_int64(), id);

  // Filters and paging.
  auto by_state = api_->Call("GET", "/jobs?kind=webhook.deliver&state=dead", "", admin_);
  ASSERT_EQ(by_state.status, 200);
  EXPECT_EQ(by_state.Json().at("total").as_int64(), 1);
  EXPECT_EQ(by_state.Json().at("items").at(0).at("id").as_int64(), id);
  auto paged = api_->Call("GET", "/jobs?kind=webhook.deliver&limit=1&offset=1", "", admin_);
  ASSERT_EQ(paged.status, 200);
  EXPECT_EQ(paged.Json().at("total").as_int64(), 2);
  EXPECT_EQ(paged.Json().at("items").at(0).at("id").as_int64(), alert_id);

  // Retry: pending again with its attempts reset, then delivered (the receiver says 204 now).
  auto retried = api_->Call("POST", "/jobs/" + std::to_string(id) + "/retry", "", admin_);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.Json().at("state").as_string(), "pending");
  EXPECT_EQ(retried.Json().at("attempts").as_int64(), 0);
  WaitForState(id, "done");
  auto again = api_->Call("POST", "/jobs/" + std::to_string(id) + "/retry", "", admin_);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.ProblemType(), "/problems/job-not-retryable");

  // The receiver saw the delivery twice with one X-Mgw-Delivery, signed with the configured
  // secret, and the alert once.
  int deliveries = 0, alerts_seen = 0;
  for (const http::Request& r : receiver_.requests()) {
    const std::string timestamp(r.Header("x-mgw-timestamp").value_or(""));
    EXPECT_EQ(r.Header("x-mgw-signature"),
              service::WebhookSignature(Secret("hook-secret"), timestamp, r.body));
    if (r.path == "/hooks") {
      ++deliveries;
      EXPECT_EQ(r.Header("x-mgw-delivery"), std::to_string(id));
      EXPECT_EQ(r.Header("x-mgw-event"), "test.event");
    } else if (r.path == "/alerts") {
      ++alerts_seen;
      EXPECT_EQ(r.Header("x-mgw-event"), "job.dead_lettered");
    }
  }
  EXPECT_EQ(deliveries, 2);
  EXPECT_EQ(alerts_seen, 1);

  auto scrape = api_->Call("GET", "/metrics");
  EXPECT_NE(scrape.body.find(R"(mgw_jobs_dead_lettered_total{kind="webhook.deliver"} 1)"),
            std::string::npos)
      << scrape.body;
  EXPECT_NE(scrape.body.find(R"(mgw_jobs_run_total{kind="webhook.deliver"} 3)"), std::string::npos)
      << scrape.body;
}

TEST_P(JobsApiTest, OnlyAdministratorsSeeJobsAndBadRequestsGetProblems) {
  api_->SignUp("user@example.com", "user password");
  const std::string user = api_->Login("user@example.com", "user password");
  struct Case {
    std::string method, target;
    std::string token;
    int status;
    std::string type;
  };
  const Case cases[] = {
      {"GET", "/jobs", user, 403, "/problems/forbidden"},
      {"GET", "/jobs/1", user, 403, "/problems/forbidden"},
      {"POST", "/jobs/1/retry", user, 403, "/problems/forbidden"},
      {"GET", "/jobs/999999", admin_, 404, "/problems/not-found"},
      {"GET", "/jobs/abc", admin_, 404, "/problems/not-found"},
      {"POST", "/jobs/999999/retry", admin_, 404, "/problems/not-found"},
      {"GET", "/jobs?state=sleeping", admin_, 400, "/problems/invalid-query"},
      {"GET", "/jobs?limit=0", admin_, 400, "/problems/invalid-query"},
      {"GET", "/jobs?after_id=-1", admin_, 400, "/problems/invalid-query"},
      {"GET", "/jobs?colour=red", admin_, 400, "/problems/invalid-query"},
      {"DELETE", "/jobs/1", admin_, 405, "/problems/method-not-allowed"},
  };
  for (const Case& c : cases) {
    auto reply = api_->Call(c.method, c.target, "", c.token);
    EXPECT_EQ(reply.status, c.status) << c.method << " " << c.target << ": " << reply.body;
    EXPECT_EQ(reply.ProblemType(), c.type) << c.method << " " << c.target;
  }
  auto empty = api_->Call("GET", "/jobs?kind=webhook.deliver", "", admin_);
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(empty.Json().at("total").as_int64(), 0);
  EXPECT_EQ(empty.Json().at("limit").as_int64(), 50);
}

INSTANTIATE_TEST_SUITE_P(Backends, JobsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return param_info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace mgw::testing
