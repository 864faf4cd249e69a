// The Pexip-compatible management API end to end: a real mgw-controlplane (SQLite and
// PostgreSQL) with Basic credentials configured, driven by real `curl` running Pexip-style
// examples unchanged and by the test's HTTP client. Every response the client receives is
// checked against api/openapi.yaml by validate_responses.mjs when the test ends.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include "api_client.h"
#include "child_process.h"
#include "controlplane/storage/postgres_server.h"
#include "controlplane_process.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

enum class Backend { kSqlite, kPostgres };

constexpr const char* kConferences = "/api/admin/configuration/v1/conference/";
constexpr const char* kAliases = "/api/admin/configuration/v1/conference_alias/";
constexpr const char* kPexipUser = "pexip-admin";
constexpr const char* kPexipPassword = "pexip-secret-1";
// base64("pexip-admin:pexip-secret-1")
constexpr const char* kBasic = "Basic cGV4aXAtYWRtaW46cGV4aXAtc2VjcmV0LTE=";

std::pair<int, std::string> ValidateAgainstSpec(const std::string& records) {
  ChildProcess node(
      {.args = {MGW_NODE_EXECUTABLE, SourcePath("tests/controlplane/daemon/validate_responses.mjs"),
                SourcePath("api/openapi.yaml"), records}});
  std::optional<int> status = node.WaitForExit(60s);
  return {status.value_or(-1), node.output()};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class PexipApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
      postgres_uri_ = SharedPostgresServer().CreateDatabase();
    }
    server_ = std::make_unique<ControlplaneProcess>(
        dir_.File("state"), postgres_uri_,
        std::vector<std::pair<std::string, std::string>>{{"MGW_PEXIP_USERNAME", kPexipUser},
                                                         {"MGW_PEXIP_PASSWORD", kPexipPassword}});
    ASSERT_TRUE(server_->started()) << server_->child().output();
    api_ = std::make_unique<ApiClient>(server_->port(), records_);
  }

  void TearDown() override {
    api_.reset();
    auto [status, output] = ValidateAgainstSpec(records_);
    EXPECT_EQ(status, 0) << "responses off api/openapi.yaml:\n" << output;
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  struct CurlResult {
    int status = 0;
    std::string headers;
    std::string body;
  };

  // Runs `curl <example...>` with only output options added (they change nothing on the wire).
  CurlResult Curl(std::vector<std::string> example) {
    const std::string body_file = dir_.File("curl.body");
    const std::string header_file = dir_.File("curl.headers");
    std::vector<std::string> args = {MGW_CURL_EXECUTABLE, "--silent",    "--show-error",
                                     "--output",          body_file,     "--dump-header",
                                     header_file,         "--write-out", "%{http_code}\n"};
    for (std::string& arg : example) args.push_back(std::move(arg));
    ChildProcess curl({.args = args});
    auto match = curl.WaitForLine(std::regex(R"(^(\d{3})$)"), 30s);
    std::optional<int> exit = curl.WaitForExit(30s);
    EXPECT_EQ(exit, 0) << curl.output();
    CurlResult result;
    if (match) result.status = std::stoi((*match)[1]);
    result.headers = ReadFile(header_file);
    result.body = ReadFile(body_file);
    return result;
  }

  ApiClient::Reply Pexip(const std::string& method, const std::string& target,
                         const std::string& body = {}) {
    return api_->Call(method, target, body, std::nullopt, {{"authorization", kBasic}});
  }

  std::int64_t Create(const json::object& fields) {
    auto reply = Pexip("POST", kConferences, json::serialize(fields));
    EXPECT_EQ(reply.status, 201) << reply.body;
    const std::string location = reply.Header("location").value_or("");
    const std::string marker = kConferences;
    const auto at = location.find(marker);
    EXPECT_NE(at, std::string::npos) << location;
    if (at == std::string::npos) return 0;
    return std::stoll(location.substr(at + marker.size()));
  }

  std::string ConferencePath(std::int64_t id) const {
    return std::string(kConferences) + std::to_string(id) + "/";
  }

  std::vector<std::string> Names(const std::string& query) {
    auto reply = Pexip("GET", std::string(kConferences) + query);
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::vector<std::string> names;
    if (reply.status != 200) return names;
    const json::value page = reply.Json();
    for (const json::value& object : page.at("objects").as_array()) {
      names.emplace_back(object.at("name").as_string());
    }
    return names;
  }

  TempDir dir_;
  std::string records_ = dir_.File("responses.jsonl");
  std::optional<std::string> postgres_uri_;
  std::unique_ptr<ControlplaneProcess> server_;
  std::unique_ptr<ApiClient> api_;
};

// The management API guide's flow with curl, unchanged but for the address: list, create a VMR
// with aliases, change its description, delete it.
TEST_P(PexipApiTest, CurlExamplesRunUnchanged) {
  const std::string user = std::string(kPexipUser) + ":" + kPexipPassword;
  CurlResult list = Curl({"-u", user, Url(kConferences)});
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(R"("total_count":0)"), std::string::npos) << list.body;

  CurlResult created = Curl(
      {"-u", user, "-X", "POST", "-H", "Content-Type: application/json", "-d",
       R"({"name": "VMR_1", "service_type": "conference", "pin": "1234", "allow_guests": true, )"
       R"("guest_pin": "5678", "aliases": [{"alias": "meet.alice"}, )"
       R"({"alias": "meet.alice@example.com"}]})",
       Url(kConferences)});
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_NE(created.headers.find("/api/admin/configuration/v1/conference/1/"), std::string::npos)
      << created.headers;

  // curl -d without a Content-Type sends the form type; Pexip's clients do that, and it is read
  // as JSON.
  CurlResult patched = Curl({"-u", user, "-X", "PATCH", "-d",
                             R"({"description": "Alice's meeting room"})", Url(ConferencePath(1))});
  EXPECT_EQ(patched.status, 202) << patched.body;
  CurlResult got = Curl({"-u", user, Url(ConferencePath(1))});
  EXPECT_EQ(got.status, 200);
  EXPECT_NE(got.body.find(R"("description":"Alice's meeting room")"), std::string::npos)
      << got.body;

  CurlResult deleted = Curl({"-u", user, "-X", "DELETE", Url(ConferencePath(1))});
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(Curl({"-u", user, Url(ConferencePath(1))}).status, 404);
}

TEST_P(PexipApiTest, ConferenceHasPexipsFieldsAndDefaults) {
  const std::int64_t id =
      Create({{"name", "Court 1"}, {"aliases", json::array{{{"alias", "7000001"}}}}});
  auto reply = Pexip("GET", ConferencePath(id));
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json::value conference = reply.Json();
  EXPECT_EQ(conference.at("id").as_int64(), id);
  EXPECT_EQ(conference.at("resource_uri").as_string(), ConferencePath(id));
  EXPECT_EQ(conference.at("name").as_string(), "Court 1");
  EXPECT_EQ(conference.at("description").as_string(), "");
  EXPECT_EQ(conference.at("allow_guests").as_bool(), false);
  EXPECT_EQ(conference.at("call_type").as_string(), "video");
  EXPECT_EQ(conference.at("service_type").as_string(), "conference");
  EXPECT_EQ(conference.at("host_view").as_string(), "one_main_seven_pips");
  EXPECT_TRUE(conference.at("guest_view").is_null());
  EXPECT_EQ(conference.at("guests_can_present").as_bool(), true);
  EXPECT_EQ(conference.at("two_stage_dial_type").as_string(), "regular");
  EXPECT_EQ(conference.at("enable_chat").as_string(), "default");
  EXPECT_TRUE(conference.at("participant_limit").is_null());
  EXPECT_TRUE(conference.at("max_callrate_in").is_null());
  EXPECT_TRUE(conference.at("ivr_theme").is_null());
  EXPECT_EQ(conference.at("pin").as_string(), "");
  const json::array& aliases = conference.at("aliases").as_array();
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0].at("alias").as_string(), "7000001");
  EXPECT_EQ(aliases[0].at("conference").as_string(), ConferencePath(id));

  // What GET returned can be sent back as it is (read-only fields are ignored).
  json::object round_trip = conference.as_object();
  round_trip["description"] = "changed";
  EXPECT_EQ(Pexip("PATCH", ConferencePath(id), json::serialize(round_trip)).status, 202);
  EXPECT_EQ(Pexip("GET", ConferencePath(id)).Json().at("description").as_string(), "changed");
  EXPECT_EQ(Pexip("GET", ConferencePath(id)).Json().at("aliases").as_array()[0].at("id"),
            aliases[0].at("id"));
}

TEST_P(PexipApiTest, ValidationErrorsArePexipsAndChangeNothing) {
  Create({{"name", "Taken"}});
  auto duplicate = Pexip("POST", kConferences, R"({"name": "Taken"})");
  EXPECT_EQ(duplicate.status, 400);
  EXPECT_EQ(json::serialize(duplicate.Json()),
            R"({"conference":{"name":["Conference with this Name already exists."]}})");

  struct Case {
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({})", "name"},
      {R"({"name": ""})", "name"},
      {R"({"name": ")" + std::string(251, 'n') + R"("})", "name"},
      {R"({"name": "x", "description": ")" + std::string(251, 'd') + R"("})", "description"},
      {R"({"name": "x", "pin": "123"})", "pin"},
      {R"({"name": "x", "pin": "123456789012345678901"})", "pin"},
      {R"({"name": "x", "pin": "12a4"})", "pin"},
      {R"({"name": "x", "pin": "12#4"})", "pin"},
      {R"({"name": "x", "guest_pin": "1234"})", "guest_pin"},
      {R"({"name": "x", "pin": "1234", "guest_pin": "1234"})", "guest_pin"},
      {R"({"name": "x", "pin": "1234", "guest_pin": "12345"})", "guest_pin"},
      {R"({"name": "x", "pin": "1234#", "guest_pin": "123456"})", "guest_pin"},
      {R"({"name": "x", "allow_guests": "yes"})", "allow_guests"},
      {R"({"name": "x", "call_type": "hologram"})", "call_type"},
      {R"({"name": "x", "host_view": "everyone"})", "host_view"},
      {R"({"name": "x", "participant_limit": -1})", "participant_limit"},
      {R"({"name": "x", "max_callrate_in": 1.5})", "max_callrate_in"},
      {R"({"name": "x", "ivr_theme": "/api/admin/configuration/v1/ivr_theme/1/"})", "ivr_theme"},
      {R"({"name": "x", "no_such_field": 1})", "no_such_field"},
      {R"({"name": "x", "aliases": [{"description": "no alias"}]})", "aliases"},
      {R"({"name": "x", "aliases": [{"alias": "a"}, {"alias": "a"}]})", "aliases"},
  };
  for (const Case& c : cases) {
    auto reply = Pexip("POST", kConferences, c.body);
    EXPECT_EQ(reply.status, 400) << c.body;
    if (reply.status != 400) continue;
    const json::value error = reply.Json();
    EXPECT_TRUE(error.at("conference").as_object().contains(c.field))
        << c.body << " → " << reply.body;
  }
  // PINs that are fine: the same length, or different lengths both ending in #.
  const std::int64_t ok =
      Create({{"name", "ok 1"}, {"pin", "1234"}, {"guest_pin", "5678"}, {"allow_guests", true}});
  Create({{"name", "ok 2"}, {"pin", "1234#"}, {"guest_pin", "567890#"}});
  Create({{"name", "ok 3"}, {"pin", "12345678901234567890"}});
  EXPECT_EQ(Names(""), (std::vector<std::string>{"Taken", "ok 1", "ok 2", "ok 3"}));

  auto malformed = Pexip("POST", kConferences, "{");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.ProblemType(), "/problems/malformed-json");
  const std::string user = std::string(kPexipUser) + ":" + kPexipPassword;
  EXPECT_EQ(Curl({"-u", user, "-X", "POST", "-H", "Content-Type: application/xml", "-d",
                  "<conference/>", Url(kConferences)})
                .status,
            415);
  // A PATCH that fails changes nothing, not even its valid fields.
  auto bad_patch = Pexip("PATCH", ConferencePath(ok), R"({"description": "new", "pin": "1"})");
  EXPECT_EQ(bad_patch.status, 400);
  EXPECT_EQ(Pexip("GET", ConferencePath(ok)).Json().at("description").as_string(), "");
  EXPECT_EQ(Pexip("GET", ConferencePath(ok)).Json().at("pin").as_string(), "1234");
}

TEST_P(PexipApiTest, StatusCodesForRoutesAndMethods) {
  const std::int64_t id = Create({{"name", "A"}});
  EXPECT_EQ(Pexip("GET", ConferencePath(id + 100)).status, 404);
  EXPECT_EQ(Pexip("PATCH", ConferencePath(id + 100), R"({"description": "x"})").status, 404);
  EXPECT_EQ(Pexip("DELETE", ConferencePath(id + 100)).status, 404);
  EXPECT_EQ(Pexip("GET", std::string(kConferences) + "abc/").status, 404);
  // Pexip's paths end in '/'.
  EXPECT_EQ(Pexip("GET", "/api/admin/configuration/v1/conference").status, 404);
  EXPECT_EQ(Pexip("GET", "/api/admin/configuration/v1/nothing/").status, 404);

  auto post_detail = Pexip("POST", ConferencePath(id), R"({"name": "B"})");
  EXPECT_EQ(post_detail.status, 405);
  EXPECT_EQ(post_detail.Header("allow"), "GET, PATCH, DELETE");
  // Methods Pexip has and mgw does not implement.
  EXPECT_EQ(Pexip("PUT", ConferencePath(id), R"({"name": "B"})").status, 501);
  EXPECT_EQ(Pexip("DELETE", kConferences).status, 501);
  EXPECT_EQ(Pexip("PUT", kAliases, "{}").status, 501);
  EXPECT_EQ(Pexip("GET", ConferencePath(id)).status, 200);

  EXPECT_EQ(Pexip("DELETE", ConferencePath(id)).status, 204);
  EXPECT_EQ(Pexip("DELETE", ConferencePath(id)).status, 404);
}

TEST_P(PexipApiTest, BasicAndBearerAuthentication) {
  auto none = api_->Call("GET", kConferences);
  EXPECT_EQ(none.status, 401);
  auto wrong = api_->Call("GET", kConferences, "", std::nullopt,
                          {{"authorization", "Basic cGV4aXAtYWRtaW46d3Jvbmc="}});  // :wrong
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.ProblemType(), "/problems/invalid-credentials");
  auto garbage =
      api_->Call("GET", kConferences, "", std::nullopt, {{"authorization", "Basic !!!"}});
  EXPECT_EQ(garbage.status, 401);
  EXPECT_EQ(Pexip("GET", kConferences).status, 200);
  // A wrong user or password changes nothing.
  auto denied = api_->Call("POST", kConferences, R"({"name": "x"})", std::nullopt,
                           {{"authorization", "Basic cGV4aXAtYWRtaW46d3Jvbmc="}});
  EXPECT_EQ(denied.status, 401);

  // Bearer tokens: an administrator's works; a user's is refused.
  const std::string admin = api_->Login("admin", ControlplaneProcess::kAdminPassword);
  EXPECT_EQ(api_->Call("POST", kConferences, R"({"name": "by token"})", admin).status, 201);
  EXPECT_EQ(api_->Call("GET", kConferences, "", admin).status, 200);
  api_->SignUp("user@example.com", "user-password-1");
  const std::string user = api_->Login("user@example.com", "user-password-1");
  EXPECT_EQ(api_->Call("GET", kConferences, "", user).status, 403);
  // An administrator's read-only API key reads and cannot change.
  auto key = api_->Call("POST", "/account/api-keys",
                        json::serialize(json::object{{"name", "ro"}, {"scope", "read"}}), admin);
  ASSERT_EQ(key.status, 201) << key.body;
  const std::string read_key(key.Json().at("key").as_string());
  EXPECT_EQ(api_->Call("GET", kConferences, "", read_key).status, 200);
  EXPECT_EQ(api_->Call("POST", kConferences, R"({"name": "ro"})", read_key).status, 403);
  EXPECT_EQ(Names(""), (std::vector<std::string>{"by token"}));

  // Guessing is limited per source address: after 5 failures in the window even the right
  // password is refused from here (429), while bearer credentials still work.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(api_->Call("GET", kConferences, "", std::nullopt,
                         {{"authorization", "Basic cGV4aXAtYWRtaW46d3Jvbmc="}})
                  .status,
              401);
  }
  auto limited = Pexip("GET", kConferences);
  EXPECT_EQ(limited.status, 429);
  EXPECT_TRUE(limited.Header("retry-after").has_value());
  EXPECT_EQ(api_->Call("GET", kConferences, "", admin).status, 200);
}

TEST_P(PexipApiTest, ListsFilterAndPageLikePexip) {
  for (const char* name : {"Court 1", "Court 2", "court 3", "Team A", "Team B"}) {
    Create({{"name", name}, {"tag", std::string(name).starts_with("Team") ? "team" : "court"}});
  }
  EXPECT_EQ(Names("?name=Court%201"), (std::vector<std::string>{"Court 1"}));
  EXPECT_EQ(Names("?tag=team"), (std::vector<std::string>{"Team A", "Team B"}));
  EXPECT_EQ(Names("?name__startswith=Court"), (std::vector<std::string>{"Court 1", "Court 2"}));
  EXPECT_EQ(Names("?name__icontains=COURT"),
            (std::vector<std::string>{"Court 1", "Court 2", "court 3"}));
  EXPECT_EQ(Names("?name__icontains=m+a"), (std::vector<std::string>{"Team A"}));

  auto first = Pexip("GET", std::string(kConferences) + "?limit=2");
  ASSERT_EQ(first.status, 200);
  const json::value page = first.Json();
  EXPECT_EQ(page.at("meta").at("limit").as_int64(), 2);
  EXPECT_EQ(page.at("meta").at("offset").as_int64(), 0);
  EXPECT_EQ(page.at("meta").at("total_count").as_int64(), 5);
  EXPECT_TRUE(page.at("meta").at("previous").is_null());
  EXPECT_EQ(page.at("meta").at("next").as_string(),
            "/api/admin/configuration/v1/conference/?limit=2&offset=2");
  auto last = Pexip("GET", std::string(kConferences) + "?tag=court&limit=2&offset=2");
  const json::value last_page = last.Json();
  EXPECT_EQ(last_page.at("objects").as_array().size(), 1u);
  EXPECT_TRUE(last_page.at("meta").at("next").is_null());
  EXPECT_EQ(last_page.at("meta").at("previous").as_string(),
            "/api/admin/configuration/v1/conference/?tag=court&limit=2&offset=0");
  EXPECT_EQ(Pexip("GET", std::string(kConferences) + "?limit=-1").status, 400);
  EXPECT_EQ(Pexip("GET", std::string(kConferences) + "?order=name").status, 400);
}

TEST_P(PexipApiTest, BulkCreateAndUpdateIsAllOrNothing) {
  const std::int64_t existing = Create({{"name", "Existing"}});
  // The third object is refused: nothing of the first two stays.
  auto refused = Pexip("PATCH", kConferences,
                       R"({"objects": [
      {"name": "Bulk 1"},
      {"resource_uri": ")" +
                           ConferencePath(existing) + R"(", "description": "changed"},
      {"name": "Bulk 1"}]})");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.Json().at("object_index").as_int64(), 2);
  EXPECT_TRUE(refused.Json().at("conference").as_object().contains("name"));
  EXPECT_EQ(Names(""), (std::vector<std::string>{"Existing"}));
  EXPECT_EQ(Pexip("GET", ConferencePath(existing)).Json().at("description").as_string(), "");

  auto accepted = Pexip("PATCH", kConferences,
                        R"({"objects": [
      {"name": "Bulk 1", "aliases": [{"alias": "b1"}]},
      {"resource_uri": ")" + ConferencePath(existing) +
                            R"(", "description": "changed"},
      {"name": "Bulk 2", "pin": "4321"}]})");
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(Names(""), (std::vector<std::string>{"Existing", "Bulk 1", "Bulk 2"}));
  EXPECT_EQ(Pexip("GET", ConferencePath(existing)).Json().at("description").as_string(), "changed");
  EXPECT_EQ(Pexip("PATCH", kConferences, R"({"things": []})").status, 400);
}

TEST_P(PexipApiTest, AliasesAreUniqueAcrossConferences) {
  const std::int64_t a = Create({{"name", "A"}, {"aliases", json::array{{{"alias", "7000001"}}}}});
  const std::int64_t b = Create({{"name", "B"}});
  auto taken = Pexip("POST", kConferences, R"({"name": "C", "aliases": [{"alias": "7000001"}]})");
  EXPECT_EQ(taken.status, 400);
  EXPECT_TRUE(taken.Json().at("conference").as_object().contains("aliases")) << taken.body;
  EXPECT_EQ(Names(""), (std::vector<std::string>{"A", "B"}));

  // The conference_alias resource.
  auto dup =
      Pexip("POST", kAliases,
            json::serialize(json::object{{"alias", "7000001"}, {"conference", ConferencePath(b)}}));
  EXPECT_EQ(dup.status, 400);
  EXPECT_EQ(
      json::serialize(dup.Json()),
      R"({"conference_alias":{"alias":["Conference alias with this Alias already exists."]}})");
  auto added = Pexip(
      "POST", kAliases,
      json::serialize(json::object{
          {"alias", "7000002"}, {"conference", ConferencePath(b)}, {"description", "number"}}));
  ASSERT_EQ(added.status, 201) << added.body;
  const std::string location = added.Header("location").value_or("");
  const std::string alias_path = location.substr(location.find(kAliases));
  auto alias = Pexip("GET", alias_path);
  ASSERT_EQ(alias.status, 200);
  EXPECT_EQ(alias.Json().at("conference").as_string(), ConferencePath(b));
  EXPECT_EQ(alias.Json().at("resource_uri").as_string(), alias_path);

  auto of_b = Pexip("GET", std::string(kAliases) + "?conference=" + std::to_string(b));
  EXPECT_EQ(of_b.Json().at("meta").at("total_count").as_int64(), 1);
  auto by_alias = Pexip("GET", std::string(kAliases) + "?alias=7000001");
  EXPECT_EQ(by_alias.Json().at("objects").as_array()[0].at("conference").as_string(),
            ConferencePath(a));
  EXPECT_EQ(Pexip("PATCH", alias_path, R"({"alias": "7000001"})").status, 400);
  EXPECT_EQ(Pexip("PATCH", alias_path, R"({"description": "renamed"})").status, 202);
  EXPECT_EQ(Pexip("GET", alias_path).Json().at("description").as_string(), "renamed");
  EXPECT_EQ(Pexip("POST", kAliases, R"({"alias": "x", "conference": 999})").status, 400);

  // Deleting a conference frees its aliases.
  EXPECT_EQ(Pexip("DELETE", ConferencePath(a)).status, 204);
  EXPECT_EQ(Pexip("GET", std::string(kAliases) + "?alias=7000001")
                .Json()
                .at("meta")
                .at("total_count")
                .as_int64(),
            0);
  EXPECT_EQ(Pexip("PATCH", ConferencePath(b), R"({"aliases": [{"alias": "7000001"}]})").status,
            202);
  auto b_now = Pexip("GET", ConferencePath(b)).Json();
  ASSERT_EQ(b_now.at("aliases").as_array().size(), 1u);  // the set was replaced
  EXPECT_EQ(Pexip("DELETE", alias_path).status, 404);    // 7000002 went with the replacement
}

// The Pexip routes sit behind the per-caller request limiter like every other route: the Basic
// credentials are one caller; an administrator's token shares its account's bucket with the rest
// of the API (spent here on GET /meeting) and is refused on a Pexip route once it is empty.
TEST_P(PexipApiTest, PexipRoutesAreRateLimitedPerCaller) {
  TempDir dir;
  std::optional<std::string> uri;
  if (postgres_uri_) uri = SharedPostgresServer().CreateDatabase();
  ControlplaneProcess limited(dir.File("state"), uri,
                              {{"MGW_PEXIP_USERNAME", kPexipUser},
                               {"MGW_PEXIP_PASSWORD", kPexipPassword},
                               {"MGW_CONTROLPLANE_RATE_LIMIT_REQUESTS_PER_SECOND", "1"},
                               {"MGW_CONTROLPLANE_RATE_LIMIT_BURST", "5"}});
  ASSERT_TRUE(limited.started()) << limited.child().output();
  ApiClient api(limited.port(), records_);
  const auto refused_after = [](const std::function<ApiClient::Reply()>& call, int* ok) {
    ApiClient::Reply refused;
    for (int i = 0; i < 10; ++i) {
      ApiClient::Reply reply = call();
      if (reply.status != 200) return reply;
      ++*ok;
    }
    return refused;
  };
  int ok = 0;
  ApiClient::Reply refused = refused_after(
      [&] {
        return api.Call("GET", kConferences, "", std::nullopt, {{"authorization", kBasic}});
      },
      &ok);
  // Five at once, perhaps one more if a second passed meanwhile; then refused.
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 7);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.ProblemType(), "/problems/rate-limited");
  ASSERT_TRUE(refused.Header("retry-after"));
  EXPECT_GE(std::stoi(*refused.Header("retry-after")), 1);

  // Another caller (the administrator's token) still has its own budget, shared across routes.
  const std::string admin = api.Login("admin", ControlplaneProcess::kAdminPassword);
  ok = 0;
  refused = refused_after([&] { return api.Call("GET", "/meeting", "", admin); }, &ok);
  EXPECT_EQ(refused.status, 429);
  EXPECT_GE(ok, 4);
  auto pexip = api.Call("GET", kConferences, "", admin);
  EXPECT_EQ(pexip.status, 429) << pexip.body;
  EXPECT_TRUE(pexip.Header("retry-after").has_value());
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, PexipApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return param_info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace mgw::testing
