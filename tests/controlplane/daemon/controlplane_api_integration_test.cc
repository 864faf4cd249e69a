// mgw-controlplane's HTTP API end to end: real processes, real HTTP, SQLite and PostgreSQL.
// Every response a test receives is recorded and, when the test ends, checked against
// api/openapi.yaml by validate_responses.mjs (node), so server and spec cannot drift.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "api_client.h"
#include "child_process.h"
#include "controlplane/storage/postgres_server.h"
#include "controlplane_process.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"
#include "mgw/storage/secret_token.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

enum class Backend { kSqlite, kPostgres };

// Runs the validator over a file of recorded responses; its exit status and output.
std::pair<int, std::string> ValidateAgainstSpec(const std::string& records) {
  ChildProcess node(
      {.args = {MGW_NODE_EXECUTABLE, SourcePath("tests/controlplane/daemon/validate_responses.mjs"),
                SourcePath("api/openapi.yaml"), records}});
  std::optional<int> status = node.WaitForExit(60s);
  return {status.value_or(-1), node.output()};
}

std::string Body(const json::object& object) { return json::serialize(object); }

class ControlplaneApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
      postgres_uri_ = SharedPostgresServer().CreateDatabase();
    }
    server_ = std::make_unique<ControlplaneProcess>(dir_.File("state"), postgres_uri_);
    ASSERT_TRUE(server_->started()) << server_->child().output();
    api_ = std::make_unique<ApiClient>(server_->port(), records_);
  }

  void TearDown() override {
    api_.reset();
    auto [status, output] = ValidateAgainstSpec(records_);
    EXPECT_EQ(status, 0) << "responses off api/openapi.yaml:\n" << output;
  }

  // The URL a test-side Database handle opens: the same database the server uses.
  std::string DatabaseUrl() const {
    return postgres_uri_ ? *postgres_uri_ : dir_.File("state") + "/mgw.db";
  }

  std::string NewUser(const std::string& name) {
    std::string email = name + "@example.com";
    api_->SignUp(email, "password-" + name);
    return api_->Login(email, "password-" + name);
  }

  std::string CreateMeeting(const std::string& token, const std::string& title = "m") {
    auto reply = api_->Call("POST", "/meeting", Body({{"title", title}}), token);
    EXPECT_EQ(reply.status, 201) << reply.body;
    return std::string(reply.Json().at("id").as_string());
  }

  TempDir dir_;
  std::string records_ = dir_.File("responses.jsonl");
  std::optional<std::string> postgres_uri_;
  std::unique_ptr<ControlplaneProcess> server_;
  std::unique_ptr<ApiClient> api_;
};

TEST_P(ControlplaneApiTest, SignUpLoginTokensAndAccountDeletion) {
  api_->SignUp("Alice@Example.com", "correct horse battery");
  auto dup = api_->Call("POST", "/account",
                        Body({{"email", "alice@example.com"}, {"password", "another password"}}));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.ProblemType(), "/problems/email-taken");
  auto bad_email = api_->Call("POST", "/account",
                              Body({{"email", "not-an-email"}, {"password", "long enough!"}}));
  EXPECT_EQ(bad_email.status, 422);
  EXPECT_EQ(bad_email.Json().at("field").as_string(), "email");
  auto short_password =
      api_->Call("POST", "/account", Body({{"email", "bob@example.com"}, {"password", "short"}}));
  EXPECT_EQ(short_password.status, 422);
  EXPECT_EQ(short_password.Json().at("field").as_string(), "password");

  auto wrong = api_->Call("POST", "/account/login",
                          Body({{"email", "alice@example.com"}, {"password", "wrong password"}}));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.ProblemType(), "/problems/invalid-credentials");
  std::string first = api_->Login("alice@example.com", "correct horse battery");
  std::string second = api_->Login("ALICE@example.com", "correct horse battery");

  auto me = api_->Call("GET", "/account", "", first);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.Json().at("email").as_string(), "alice@example.com");
  EXPECT_EQ(me.Json().at("role").as_string(), "user");

  auto tokens = api_->Call("GET", "/account/tokens", "", first);
  ASSERT_EQ(tokens.status, 200);
  EXPECT_EQ(tokens.Json().at("total").as_int64(), 2);
  std::int64_t other_id = 0;
  const json::value token_list = tokens.Json();
  for (const auto& item : token_list.at("items").as_array()) {
    if (!item.at("current").as_bool()) other_id = item.at("id").as_int64();
  }
  ASSERT_NE(other_id, 0);
  EXPECT_EQ(api_->Call("DELETE", "/account/tokens/" + std::to_string(other_id), "", first).status,
            204);
  auto revoked = api_->Call("GET", "/account", "", second);
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(revoked.ProblemType(), "/problems/invalid-token");
  EXPECT_EQ(revoked.Header("www-authenticate"), "Bearer");
  EXPECT_EQ(api_->Call("DELETE", "/account/tokens/" + std::to_string(other_id), "", first).status,
            404);

  EXPECT_EQ(api_->Call("DELETE", "/account", "", first).status, 204);
  EXPECT_EQ(api_->Call("GET", "/account", "", first).status, 401);
  // The email is free again.
  api_->SignUp("alice@example.com", "correct horse battery");
}

TEST_P(ControlplaneApiTest, BadRequestsGetProblemsAndChangeNothing) {
  std::string token = NewUser("carol");
  struct Case {
    std::string method, target, body;
    std::optional<std::string> token;
    int status;
    std::string type;
  };
  const Case cases[] = {
      {"POST", "/meeting", "{\"title\":", token, 400, "/problems/malformed-json"},
      {"POST", "/meeting", "[1,2]", token, 422, "/problems/invalid-field"},
      {"POST", "/meeting", R"({"title":42})", token, 422, "/problems/invalid-field"},
      {"POST", "/meeting", R"({"title":"x","colour":"red"})", token, 422,
       "/problems/unknown-field"},
      {"POST", "/meeting/join", R"({})", token, 422, "/problems/missing-field"},
      {"POST", "/meeting/join", R"({"meeting_id":7})", token, 422, "/problems/invalid-field"},
      {"POST", "/meeting", R"({"title":"x"})", std::nullopt, 401, "/problems/unauthenticated"},
      {"POST", "/meeting", R"({"title":"x"})", std::string("not-a-token"), 401,
       "/problems/invalid-token"},
      {"GET", "/meeting?limit=0", "", token, 400, "/problems/invalid-query"},
      {"GET", "/meeting?color=red", "", token, 400, "/problems/invalid-query"},
      {"GET", "/meeting/nope", "", token, 404, "/problems/not-found"},
      {"PUT", "/meeting", "", token, 405, "/problems/method-not-allowed"},
      {"POST", "/account", R"({"email":"x@example.com","password":"long enough!","admin":1})",
       std::nullopt, 422, "/problems/unknown-field"},
  };
  for (const Case& c : cases) {
    auto reply = api_->Call(c.method, c.target, c.body, c.token);
    EXPECT_EQ(reply.status, c.status) << c.method << " " << c.target << " " << c.body;
    EXPECT_EQ(reply.content_type, "application/problem+json") << c.target;
    EXPECT_EQ(reply.ProblemType(), c.type) << c.method << " " << c.target << " " << c.body;
  }
  // A body that is not JSON at all.
  HttpResult text =
      HttpFetch("127.0.0.1", server_->port(), "POST", "/meeting", "title=x",
                {{"authorization", "Bearer " + token}, {"content-type", "text/plain"}});
  EXPECT_EQ(text.status, 415);
  // Limits enforced by the HTTP server (common/http_server) before any route runs.
  auto big = api_->Call("POST", "/meeting", Body({{"title", std::string(2 << 20, 'x')}}), token);
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.ProblemType(), "/problems/payload-too-large");
  auto huge_header =
      api_->Call("GET", "/meeting", "", token, {{"x-filler", std::string(32 << 10, 'h')}});
  EXPECT_EQ(huge_header.status, 431);

  // An expired token, written straight into the server's database with a clock in the past.
  {
    auto db = storage::OpenDatabase(DatabaseUrl());
    storage::ManualClock past(std::chrono::system_clock::now() - 48h);
    storage::AccountStore accounts(*db, past);
    auto carol = accounts.FindByEmail("carol@example.com");
    ASSERT_TRUE(carol);
    std::string expired = storage::GenerateToken();
    accounts.CreateToken({.account_id = carol->id,
                          .token_hash = storage::HashToken(expired),
                          .expires_at = past.Now() + 1h});
    auto reply = api_->Call("GET", "/meeting", "", expired);
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(reply.ProblemType(), "/problems/invalid-token");
    EXPECT_NE(reply.body.find("expired"), std::string::npos) << reply.body;
  }

  // Nothing above created anything.
  auto list = api_->Call("GET", "/meeting", "", token);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.Json().at("total").as_int64(), 0);
  api_->SignUp("x@example.com", "long enough!");
}

TEST_P(ControlplaneApiTest, MeetingLifecycleWithHostRules) {
  std::string host = NewUser("host");
  std::string guest = NewUser("guest");
  std::string id = CreateMeeting(host, "weekly");
  auto created = api_->Call("GET", "/meeting/" + id, "", guest);
  ASSERT_EQ(created.status, 200);
  EXPECT_EQ(created.Json().at("state").as_string(), "active");
  EXPECT_TRUE(created.Json().at("node").is_null());

  auto join = [&](const std::string& token) {
    return api_->Call("POST", "/meeting/join", Body({{"meeting_id", id}}), token);
  };
  EXPECT_EQ(join(host).Json().at("participant_count").as_int64(), 1);
  EXPECT_EQ(join(guest).Json().at("participant_count").as_int64(), 2);
  EXPECT_EQ(join(guest).Json().at("participant_count").as_int64(), 2);  // still one guest
  auto left = api_->Call("POST", "/meeting/leave", Body({{"meeting_id", id}}), guest);
  EXPECT_EQ(left.Json().at("participant_count").as_int64(), 1);
  auto not_in = api_->Call("POST", "/meeting/leave", Body({{"meeting_id", id}}), guest);
  EXPECT_EQ(not_in.status, 409);
  EXPECT_EQ(not_in.ProblemType(), "/problems/not-participant");

  // Recording: the guest must be in the meeting; the first request starts it.
  EXPECT_EQ(api_->Call("POST", "/meeting/record/" + id, "", guest).status, 403);
  join(guest);
  auto first = api_->Call("POST", "/meeting/record/" + id, "", guest);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_TRUE(first.Json().at("started").as_bool());
  auto second = api_->Call("POST", "/meeting/record/" + id, "", host);
  EXPECT_FALSE(second.Json().at("started").as_bool());
  EXPECT_EQ(second.Json().at("recipient_count").as_int64(), 2);
  auto recipients = api_->Call("GET", "/meeting/record/recipients/" + id + "?limit=1", "", host);
  ASSERT_EQ(recipients.status, 200);
  EXPECT_EQ(recipients.Json().at("total").as_int64(), 2);
  EXPECT_EQ(recipients.Json().at("items").as_array().size(), 1u);
  EXPECT_EQ(recipients.Json().at("items").as_array()[0].at("email").as_string(),
            "guest@example.com");

  auto forbidden = api_->Call("POST", "/meeting/end/" + id, "", guest);
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.ProblemType(), "/problems/forbidden");
  auto ended = api_->Call("POST", "/meeting/end/" + id, "", host);
  ASSERT_EQ(ended.status, 200);
  EXPECT_EQ(ended.Json().at("state").as_string(), "ended");
  EXPECT_EQ(ended.Json().at("participant_count").as_int64(), 0);
  auto late = join(guest);
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(late.ProblemType(), "/problems/meeting-ended");

  EXPECT_EQ(api_->Call("DELETE", "/meeting/" + id, "", guest).status, 403);
  EXPECT_EQ(api_->Call("DELETE", "/meeting/" + id, "", host).status, 204);
  EXPECT_EQ(api_->Call("GET", "/meeting/" + id, "", host).status, 404);
}

TEST_P(ControlplaneApiTest, ListsPageWithTotals) {
  std::string token = NewUser("pager");
  std::string other = NewUser("other");
  for (int i = 0; i < 5; ++i) CreateMeeting(token, "m" + std::to_string(i));
  CreateMeeting(other);  // not visible to `token`
  // Pages are slices of one stable order (creation time, then id).
  const json::value all = api_->Call("GET", "/meeting?limit=200", "", token).Json();
  ASSERT_EQ(all.at("items").as_array().size(), 5u);
  auto page = api_->Call("GET", "/meeting?limit=2&offset=2", "", token);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.Json().at("total").as_int64(), 5);
  EXPECT_EQ(page.Json().at("limit").as_int64(), 2);
  EXPECT_EQ(page.Json().at("offset").as_int64(), 2);
  const json::value page_json = page.Json();
  const auto& items = page_json.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("id"), all.at("items").as_array()[2].at("id"));
  EXPECT_EQ(items[1].at("id"), all.at("items").as_array()[3].at("id"));
  // The administrator sees every meeting.
  std::string admin = api_->Login("admin", ControlplaneProcess::kAdminPassword);
  EXPECT_EQ(api_->Call("GET", "/meeting", "", admin).Json().at("total").as_int64(), 6);
}

TEST_P(ControlplaneApiTest, IdempotencyKeyReplaysTheFirstResponse) {
  std::string token = NewUser("dave");
  auto first = api_->Call("POST", "/meeting", Body({{"title", "once"}}), token,
                          {{"idempotency-key", "create-1"}});
  ASSERT_EQ(first.status, 201);
  auto again = api_->Call("POST", "/meeting", Body({{"title", "once"}}), token,
                          {{"idempotency-key", "create-1"}});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
  EXPECT_EQ(again.Header("location"), first.Header("location"));
  auto other_body = api_->Call("POST", "/meeting", Body({{"title", "twice"}}), token,
                               {{"idempotency-key", "create-1"}});
  EXPECT_EQ(other_body.status, 422);
  EXPECT_EQ(other_body.ProblemType(), "/problems/idempotency-key-reused");
  // Keys belong to their account: another account's identical key is a new request.
  std::string erin = NewUser("erin");
  EXPECT_NE(api_->Call("POST", "/meeting", Body({{"title", "once"}}), erin,
                       {{"idempotency-key", "create-1"}})
                .body,
            first.body);
  EXPECT_EQ(api_->Call("GET", "/meeting", "", token).Json().at("total").as_int64(), 1);
}

TEST_P(ControlplaneApiTest, FailedLoginsAreRateLimitedPerAccount) {
  api_->SignUp("frank@example.com", "the right password");
  const std::string wrong = Body({{"email", "frank@example.com"}, {"password", "not it at all"}});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(api_->Call("POST", "/account/login", wrong).status, 401);
  auto limited =
      api_->Call("POST", "/account/login",
                 Body({{"email", "frank@example.com"}, {"password", "the right password"}}));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.ProblemType(), "/problems/rate-limited");
  ASSERT_TRUE(limited.Header("retry-after"));
  EXPECT_GT(std::stoi(*limited.Header("retry-after")), 0);
  // Another account from the same address is not yet limited.
  api_->SignUp("grace@example.com", "grace's password");
  EXPECT_FALSE(api_->Login("grace@example.com", "grace's password").empty());
}

// Every caller has its own token bucket: past the burst, 429 with Retry-After, on any route;
// another caller is not affected, and neither are sign-up and login from elsewhere.
TEST_P(ControlplaneApiTest, RequestsOverTheRateLimitGet429) {
  TempDir dir;
  std::optional<std::string> uri;
  if (postgres_uri_) uri = SharedPostgresServer().CreateDatabase();
  ControlplaneProcess limited(dir.File("state"), uri,
                              {{"MGW_CONTROLPLANE_RATE_LIMIT_REQUESTS_PER_SECOND", "1"},
                               {"MGW_CONTROLPLANE_RATE_LIMIT_BURST", "5"}});
  ASSERT_TRUE(limited.started()) << limited.child().output();
  ApiClient api(limited.port(), records_);
  api.SignUp("hana@example.com", "hana's password");                          // address: 1
  const std::string hana = api.Login("hana@example.com", "hana's password");  // address: 2
  int ok = 0;
  ApiClient::Reply refused;
  for (int i = 0; i < 10; ++i) {
    ApiClient::Reply reply = api.Call("GET", "/meeting", "", hana);
    if (reply.status != 200) {
      refused = reply;
      break;
    }
    ++ok;
  }
  // Five at once, perhaps one more if a second passed meanwhile; then refused.
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 7);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.ProblemType(), "/problems/rate-limited");
  ASSERT_TRUE(refused.Header("retry-after"));
  EXPECT_GE(std::stoi(*refused.Header("retry-after")), 1);
  // The limit is per caller: the address still has tokens for another account's login.
  api.SignUp("ines@example.com", "ines's password");                          // address: 3
  const std::string ines = api.Login("ines@example.com", "ines's password");  // address: 4
  EXPECT_EQ(api.Call("GET", "/meeting", "", ines).status, 200);
}

TEST_P(ControlplaneApiTest, ApiKeysCarryScopes) {
  std::string token = NewUser("ops");
  auto write_key =
      api_->Call("POST", "/account/api-keys", Body({{"name", "ci"}, {"scope", "write"}}), token);
  ASSERT_EQ(write_key.status, 201) << write_key.body;
  std::string write = std::string(write_key.Json().at("key").as_string());
  auto read_key =
      api_->Call("POST", "/account/api-keys", Body({{"name", "dash"}, {"scope", "read"}}), token);
  std::string read = std::string(read_key.Json().at("key").as_string());

  std::string id = CreateMeeting(write);
  EXPECT_EQ(api_->Call("GET", "/meeting/" + id, "", read).status, 200);
  auto denied = api_->Call("POST", "/meeting", "", read);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.ProblemType(), "/problems/insufficient-scope");
  // No escalation: a user cannot mint an admin key, nor keys for someone else.
  EXPECT_EQ(
      api_->Call("POST", "/account/api-keys", Body({{"name", "x"}, {"scope", "admin"}}), token)
          .status,
      422);
  EXPECT_EQ(api_->Call("POST", "/account/api-keys", Body({{"name", "x"}, {"account_id", 1}}), token)
                .status,
            403);
  // The administrator may create one for the user.
  std::string admin = api_->Login("admin", ControlplaneProcess::kAdminPassword);
  std::int64_t ops_id = api_->Call("GET", "/account", "", token).Json().at("id").as_int64();
  auto for_ops = api_->Call("POST", "/account/api-keys",
                            Body({{"name", "by-admin"}, {"account_id", ops_id}}), admin);
  EXPECT_EQ(for_ops.status, 201) << for_ops.body;
  auto listed = api_->Call("GET", "/account/api-keys", "", token);
  EXPECT_EQ(listed.Json().at("total").as_int64(), 3);

  std::int64_t write_id = write_key.Json().at("id").as_int64();
  EXPECT_EQ(api_->Call("DELETE", "/account/api-keys/" + std::to_string(write_id), "", token).status,
            204);
  EXPECT_EQ(api_->Call("GET", "/meeting/" + id, "", write).status, 401);
}

TEST_P(ControlplaneApiTest, MetricsLabelRoutesByTemplate) {
  std::string token = NewUser("metrics");
  std::string id = CreateMeeting(token);
  api_->Call("GET", "/meeting/" + id, "", token);
  api_->Call("GET", "/no/such/path/" + id, "", token);
  auto scrape = api_->Call("GET", "/metrics");
  ASSERT_EQ(scrape.status, 200);
  EXPECT_NE(
      scrape.body.find(R"(mgw_http_requests_total{route="/meeting/{meeting_id}",status="200"})"),
      std::string::npos)
      << scrape.body;
  EXPECT_NE(scrape.body.find(R"(route="unmatched")"), std::string::npos);
  EXPECT_EQ(scrape.body.find(id), std::string::npos) << "a raw path leaked into a label";
}

INSTANTIATE_TEST_SUITE_P(Backends, ControlplaneApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return param_info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

// Two control planes on one PostgreSQL database: nothing lives only in one process.
TEST(ControlplaneClusterTest, MeetingCreatedThroughOneIsJoinedThroughTheOther) {
  ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
  std::string uri = SharedPostgresServer().CreateDatabase();
  TempDir dir;
  std::string records = dir.File("responses.jsonl");
  ControlplaneProcess a(dir.File("a"), uri);
  ASSERT_TRUE(a.started()) << a.child().output();
  ControlplaneProcess b(dir.File("b"), uri);
  ASSERT_TRUE(b.started()) << b.child().output();
  {
    ApiClient api_a(a.port(), records);
    ApiClient api_b(b.port(), records);
    api_a.SignUp("host@example.com", "host password");
    api_a.SignUp("guest@example.com", "guest password");
    std::string host = api_a.Login("host@example.com", "host password");
    std::string guest = api_b.Login("guest@example.com", "guest password");  // token from B
    auto created = api_a.Call("POST", "/meeting", Body({{"title", "shared"}}), host);
    ASSERT_EQ(created.status, 201);
    std::string id(created.Json().at("id").as_string());

    EXPECT_EQ(api_b.Call("GET", "/meeting/" + id, "", host).status, 200);  // A's token on B
    auto joined = api_b.Call("POST", "/meeting/join", Body({{"meeting_id", id}}), guest);
    ASSERT_EQ(joined.status, 200) << joined.body;
    EXPECT_EQ(joined.Json().at("participant_count").as_int64(), 1);
    EXPECT_EQ(api_a.Call("GET", "/meeting/" + id, "", guest).Json().at("participant_count"), 1);
    // An Idempotency-Key used on A is replayed by B.
    auto first = api_a.Call("POST", "/meeting", "", host, {{"idempotency-key", "k"}});
    auto replay = api_b.Call("POST", "/meeting", "", host, {{"idempotency-key", "k"}});
    EXPECT_EQ(replay.body, first.body);
    EXPECT_EQ(replay.Header("idempotent-replayed"), "true");
    // The host ends it on B; A sees it ended.
    EXPECT_EQ(api_b.Call("POST", "/meeting/end/" + id, "", host).status, 200);
    EXPECT_EQ(api_a.Call("GET", "/meeting/" + id, "", guest).Json().at("state"), "ended");
  }
  auto [status, output] = ValidateAgainstSpec(records);
  EXPECT_EQ(status, 0) << output;
}

// The validator must be able to fail: a response off the spec is caught.
TEST(OpenApiValidatorTest, RejectsAResponseOffTheSpec) {
  TempDir dir;
  std::string records = dir.Write(
      "bad.jsonl",
      R"({"method":"GET","path":"/meeting/abc","status":200,"headers":{"content-type":"application/json","x-request-id":"r"},"body":"{\"id\":\"abc\",\"state\":\"open\"}"})"
      "\n");
  auto [status, output] = ValidateAgainstSpec(records);
  EXPECT_EQ(status, 1) << output;
  EXPECT_NE(output.find("state"), std::string::npos) << output;
}

}  // namespace
}  // namespace mgw::testing
