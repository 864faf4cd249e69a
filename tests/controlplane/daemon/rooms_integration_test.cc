// Conferences are rooms, end to end: a real mgw-dataplane (posix backend on 127.0.0.1) and a real
// mgw-controlplane (SQLite and PostgreSQL). A conference is created over the Pexip-compatible API
// with a host and a guest PIN; participants without accounts join over WebSocket by alias and
// PIN, send RTP from real UDP sockets and receive each other's video; the status API shows the
// conference and both participants with their roles. A guest without a PIN waits for the host;
// wrong PINs are refused and the lockout engages (its backoff over time is room_service_test's,
// with a manual clock: the process has none to inject). Every signalling message is checked
// against api/signalling/ and every HTTP response against api/openapi.yaml (ajv) when node is
// here.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "api_client.h"
#include "child_process.h"
#include "controlplane/storage/postgres_server.h"
#include "controlplane_process.h"
#include "dataplane_process.h"
#include "media_socket.h"
#include "signalling_client.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kConferences = "/api/admin/configuration/v1/conference/";
constexpr const char* kConferenceStatus = "/api/admin/status/v1/conference/";
constexpr const char* kParticipantStatus = "/api/admin/status/v1/participant/";
// base64("pexip-admin:pexip-secret-1")
constexpr const char* kBasic = "Basic cGV4aXAtYWRtaW46cGV4aXAtc2VjcmV0LTE=";

// One participant without an account: a socket admitted by alias and PIN, and its media.
struct Participant {
  std::unique_ptr<SignallingClient> ws;
  json::object init;   // the server's INIT (meeting_id, role), or its ERROR
  json::object users;  // its MEETING_USERS
  int64_t id = 0;
  uint32_t video_ssrc = 0;
  std::unique_ptr<MediaSocket> media;

  std::string meeting_id() const {
    const json::value* meeting = init.if_contains("meeting_id");
    return meeting ? std::string(meeting->as_string()) : std::string();
  }
};

enum class Backend { kSqlite, kPostgres };

class RoomsTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
      postgres_uri_ = SharedPostgresServer().CreateDatabase();
    }
    std::filesystem::create_directories(runtime_dir());
    dataplane_ = std::make_unique<DataplaneProcess>(runtime_dir());
    ASSERT_TRUE(dataplane_->started()) << dataplane_->child().output();
    controlplane_ = std::make_unique<ControlplaneProcess>(
        dir_.File("state"), postgres_uri_,
        std::vector<std::pair<std::string, std::string>>{
            {"MGW_PEXIP_USERNAME", "pexip-admin"},
            {"MGW_PEXIP_PASSWORD", "pexip-secret-1"},
            {"MGW_CONFERENCES_PIN_LOCKOUT_MAX_FAILURES", "3"}});
    ASSERT_TRUE(controlplane_->started()) << controlplane_->child().output();
    const std::regex registered("node .* registered");
    ASSERT_TRUE(std::regex_search(controlplane_->child().output(), registered) ||
                controlplane_->child().WaitForLine(registered, 30s))
        << controlplane_->child().output();
    api_ = std::make_unique<ApiClient>(controlplane_->port(), responses());
  }

  void TearDown() override {
    api_.reset();
#ifdef MGW_NODE_EXECUTABLE
    ChildProcess signalling(
        {.args = {MGW_NODE_EXECUTABLE,
                  SourcePath("tests/controlplane/daemon/validate_signalling.mjs"),
                  SourcePath("api/signalling"), records()}});
    EXPECT_EQ(signalling.WaitForExit(60s).value_or(-1), 0) << "messages off api/signalling/:\n"
                                                           << signalling.output();
    ChildProcess http({.args = {MGW_NODE_EXECUTABLE,
                                SourcePath("tests/controlplane/daemon/validate_responses.mjs"),
                                SourcePath("api/openapi.yaml"), responses()}});
    EXPECT_EQ(http.WaitForExit(60s).value_or(-1), 0) << "responses off api/openapi.yaml:\n"
                                                     << http.output();
#endif
  }

  std::string records() const { return dir_.File("signalling.jsonl"); }
  std::string responses() const { return dir_.File("responses.jsonl"); }
  std::string runtime_dir() const { return dir_.File("state") + "/run"; }

  ApiClient::Reply Pexip(const std::string& method, const std::string& target,
                         const std::string& body = {}) {
    return api_->Call(method, target, body, std::nullopt, {{"authorization", kBasic}});
  }

  void CreateConference(const json::object& fields) {
    auto reply = Pexip("POST", kConferences, json::serialize(fields));
    ASSERT_EQ(reply.status, 201) << reply.body;
  }

  // INIT by alias and PIN; the server's answer (INIT or ERROR) is kept.
  std::unique_ptr<Participant> Init(const std::string& alias, const std::string& pin) {
    auto p = std::make_unique<Participant>();
    p->ws = std::make_unique<SignallingClient>(controlplane_->port(), std::nullopt, records());
    p->ws->Send({{"content_type", "INIT"}, {"conference", alias}, {"pin", pin}});
    p->init = p->ws->Next().value_or(json::object{});
    return p;
  }

  // The JOIN that follows INIT: MEETING_USERS is kept and the media socket opened.
  static void Joined(Participant& p) {
    if (p.users.empty()) p.users = p.ws->Expect("MEETING_USERS");
    if (p.users.empty()) return;
    p.id = p.users.at("self").to_number<int64_t>();
    const json::object& media = p.users.at("media").as_object();
    p.video_ssrc = static_cast<uint32_t>(media.at("video_ssrc").to_number<int64_t>());
    p.media =
        std::make_unique<MediaSocket>(std::string(media.at("address").as_string()),
                                      static_cast<uint16_t>(media.at("port").to_number<int64_t>()));
  }

  static void SendJoin(Participant& p, const std::string& name) {
    p.ws->Send({{"content_type", "JOIN"},
                {"meeting_id", p.meeting_id()},
                {"display_name", name},
                {"encryption", "none"}});
  }

  std::unique_ptr<Participant> JoinByPin(const std::string& alias, const std::string& pin,
                                         const std::string& name) {
    auto p = Init(alias, pin);
    EXPECT_EQ(p->init.at("content_type").as_string(), "INIT") << json::serialize(p->init);
    if (p->meeting_id().empty()) return p;
    SendJoin(*p, name);
    Joined(*p);
    return p;
  }

  TempDir dir_{"mgw-rooms"};
  std::optional<std::string> postgres_uri_;
  std::unique_ptr<DataplaneProcess> dataplane_;
  std::unique_ptr<ControlplaneProcess> controlplane_;
  std::unique_ptr<ApiClient> api_;
};

// `to` receives `from`'s video: `from` sends keyframes until one arrives (each send is answered
// or not within the poll deadline; no sleeps).
bool VideoFlows(Participant& from, Participant& to, uint32_t tag) {
  for (uint16_t seq = 1; seq < 50; ++seq) {
    from.media->SendVideo(from.video_ssrc, static_cast<uint16_t>(tag * 100 + seq), tag);
    if (auto got = to.media->ReceiveVideoTag(200ms); got && *got == tag) return true;
  }
  return false;
}

TEST_P(RoomsTest, HostAndGuestJoinByAliasAndPinAndExchangeVideo) {
  CreateConference({{"name", "Hearing 7"},
                    {"pin", "1234"},
                    {"guest_pin", "5678"},
                    {"allow_guests", true},
                    {"tag", "court"},
                    {"aliases", json::array{json::object{{"alias", "meet7"}},
                                            json::object{{"alias", "meet7.example.com"}}}}});
  auto host = JoinByPin("meet7", "1234", "Judge");
  ASSERT_NE(host->id, 0);
  EXPECT_EQ(host->init.at("role").as_string(), "host");
  EXPECT_FALSE(host->init.contains("account_id"));
  // The guest through the other alias, the '#' given: the same meeting.
  auto guest = JoinByPin("meet7.example.com", "5678#", "Witness");
  ASSERT_NE(guest->id, 0);
  EXPECT_EQ(guest->init.at("role").as_string(), "guest");
  EXPECT_EQ(guest->meeting_id(), host->meeting_id());
  EXPECT_EQ(guest->users.at("users").as_array().size(), 2u);
  json::object joined = host->ws->Expect("JOIN");
  ASSERT_FALSE(joined.empty());
  EXPECT_EQ(joined.at("participant").at("role").as_string(), "guest");
  EXPECT_EQ(joined.at("participant").at("display_name").as_string(), "Witness");

  const std::string meeting_id = host->meeting_id();
  host->media->SendVideo(host->video_ssrc, 1, 0);
  guest->media->SendVideo(guest->video_ssrc, 1, 0);
  host->ws->Send({{"content_type", "SUBSCRIBE"},
                  {"meeting_id", meeting_id},
                  {"publishers", json::array{guest->id}}});
  ASSERT_FALSE(host->ws->Expect("SUBSCRIBE").empty());
  guest->ws->Send({{"content_type", "SUBSCRIBE"},
                   {"meeting_id", meeting_id},
                   {"publishers", json::array{host->id}}});
  ASSERT_FALSE(guest->ws->Expect("SUBSCRIBE").empty());
  EXPECT_TRUE(VideoFlows(*guest, *host, 7)) << "the host got none of the guest's video";
  EXPECT_TRUE(VideoFlows(*host, *guest, 8)) << "the guest got none of the host's video";

  // The status API: the conference started, both participants with Pexip's roles.
  auto conferences = Pexip("GET", kConferenceStatus);
  ASSERT_EQ(conferences.status, 200) << conferences.body;
  const json::value conference_page = conferences.Json();
  const json::array& running = conference_page.at("objects").as_array();
  ASSERT_EQ(running.size(), 1u) << conferences.body;
  EXPECT_EQ(running[0].at("name").as_string(), "Hearing 7");
  EXPECT_EQ(running[0].at("id").as_string(), meeting_id);
  EXPECT_TRUE(running[0].at("is_started").as_bool());
  EXPECT_EQ(running[0].at("tag").as_string(), "court");
  auto one = Pexip("GET", std::string(kConferenceStatus) + meeting_id + "/");
  EXPECT_EQ(one.status, 200) << one.body;
  auto participants = Pexip("GET", std::string(kParticipantStatus) + "?conference=Hearing+7");
  ASSERT_EQ(participants.status, 200) << participants.body;
  const json::value participant_page = participants.Json();
  const json::array& people = participant_page.at("objects").as_array();
  ASSERT_EQ(people.size(), 2u) << participants.body;
  EXPECT_EQ(people[0].at("display_name").as_string(), "Judge");
  EXPECT_EQ(people[0].at("role").as_string(), "chair");
  EXPECT_EQ(people[1].at("display_name").as_string(), "Witness");
  EXPECT_EQ(people[1].at("role").as_string(), "guest");
  EXPECT_EQ(people[1].at("conference").as_string(), "Hearing 7");
  auto witness = Pexip("GET", std::string(kParticipantStatus) + std::to_string(guest->id) + "/");
  EXPECT_EQ(witness.status, 200) << witness.body;
  EXPECT_EQ(Pexip("GET", std::string(kParticipantStatus) + "999999/").status, 404);
  EXPECT_EQ(api_->Call("GET", kConferenceStatus).status, 401);

  // A guest may not end the conference; when both have left, it has ended and is not listed.
  guest->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id}});
  json::object refused = guest->ws->Expect("ERROR");
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(refused.at("type").as_string(), "/problems/forbidden");
  guest->ws->Send({{"content_type", "LEAVE"}, {"meeting_id", meeting_id}});
  EXPECT_TRUE(guest->ws->WaitClosed());
  ASSERT_FALSE(host->ws->Expect("LEAVE").empty());
  host->ws->Send({{"content_type", "LEAVE"}, {"meeting_id", meeting_id}});
  EXPECT_TRUE(host->ws->WaitClosed());
  auto after = Pexip("GET", kConferenceStatus);
  EXPECT_TRUE(after.Json().at("objects").as_array().empty()) << after.body;

  // The next join starts a new meeting for the conference.
  auto again = JoinByPin("meet7", "1234", "Judge");
  EXPECT_NE(again->meeting_id(), meeting_id);
  EXPECT_NE(again->id, 0);
}

TEST_P(RoomsTest, GuestWithoutPinWaitsUntilTheHostJoins) {
  CreateConference({{"name", "Lobby"},
                    {"pin", "4321"},
                    {"allow_guests", true},
                    {"aliases", json::array{json::object{{"alias", "lobby"}}}}});
  auto guest = Init("lobby", "");
  ASSERT_EQ(guest->init.at("content_type").as_string(), "INIT") << json::serialize(guest->init);
  EXPECT_EQ(guest->init.at("role").as_string(), "guest");
  SendJoin(*guest, "Early guest");
  json::object waiting = guest->ws->Expect("WAITING");
  ASSERT_FALSE(waiting.empty());
  EXPECT_EQ(waiting.at("meeting_id").as_string(), guest->meeting_id());

  auto host = JoinByPin("lobby", "4321", "Host");
  ASSERT_NE(host->id, 0);
  // The host's JOIN admits the waiting guest: its MEETING_USERS comes now.
  Joined(*guest);
  ASSERT_NE(guest->id, 0);
  EXPECT_EQ(guest->users.at("users").as_array().size(), 2u);
  json::object joined = host->ws->Expect("JOIN");
  ASSERT_FALSE(joined.empty());
  EXPECT_EQ(joined.at("participant").at("participant_id").to_number<int64_t>(), guest->id);
}

TEST_P(RoomsTest, ParticipantLimitDeniesTheOneTooMany) {
  CreateConference({{"name", "Small"},
                    {"participant_limit", 1},
                    {"aliases", json::array{json::object{{"alias", "small"}}}}});
  auto first = JoinByPin("small", "", "First");
  ASSERT_NE(first->id, 0);
  auto second = Init("small", "");
  ASSERT_EQ(second->init.at("content_type").as_string(), "INIT");
  SendJoin(*second, "Second");
  json::object denied = second->ws->Expect("JOIN_DENIED");
  ASSERT_FALSE(denied.empty());
  EXPECT_EQ(denied.at("type").as_string(), "/problems/participant-limit");
}

TEST_P(RoomsTest, WrongPinsAreRefusedAndTheLockoutEngages) {
  CreateConference({{"name", "Guarded"},
                    {"pin", "2468"},
                    {"aliases", json::array{json::object{{"alias", "guarded"}}}}});
  auto unknown = Init("no-such-alias", "2468");
  EXPECT_EQ(unknown->init.at("type").as_string(), "/problems/not-found");
  EXPECT_TRUE(unknown->ws->WaitClosed());
  for (int i = 1; i <= 3; ++i) {
    auto wrong = Init("guarded", "0000");
    ASSERT_EQ(wrong->init.at("content_type").as_string(), "ERROR");
    EXPECT_EQ(wrong->init.at("type").as_string(), "/problems/wrong-pin");
    // The third (conferences.pin_lockout.max_failures) says for how long it is locked out.
    EXPECT_EQ(wrong->init.contains("retry_after"), i == 3) << json::serialize(wrong->init);
    EXPECT_TRUE(wrong->ws->WaitClosed());
    EXPECT_EQ(wrong->ws->close_code(), 1008);
  }
  // Now even the right PIN is refused, with the seconds left (base_backoff_s: 30).
  auto locked = Init("guarded", "2468");
  ASSERT_EQ(locked->init.at("content_type").as_string(), "ERROR");
  EXPECT_EQ(locked->init.at("type").as_string(), "/problems/pin-locked-out");
  const int64_t retry_after = locked->init.at("retry_after").to_number<int64_t>();
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 30);
  EXPECT_TRUE(locked->ws->WaitClosed());

  auto scrape = api_->Call("GET", "/metrics");
  EXPECT_NE(scrape.body.find("mgw_conference_pin_refusals_total{reason=\"wrong_pin\"} 3"),
            std::string::npos)
      << scrape.body;
  EXPECT_NE(scrape.body.find("mgw_conference_pin_refusals_total{reason=\"locked_out\"} 1"),
            std::string::npos)
      << scrape.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, RoomsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace mgw::testing
