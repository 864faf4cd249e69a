// WebSocket signalling end to end: a real mgw-dataplane (posix backend on 127.0.0.1) and a real
// mgw-controlplane pointed at its control socket. Participants join over WebSocket, get their
// media parameters, send RTP from real UDP sockets, subscribe to each other's video and receive
// each other's packets; the host ends the meeting and every socket closes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
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
#include "mgw/control/control_server.h"
#include "signalling_client.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kPublicUrl = "http://cp-a.mgw.test:8080";
constexpr const char* kPassword = "correct-horse-battery";

// One participant: an account, a signalling socket and a media socket.
struct Participant {
  std::string token;
  std::unique_ptr<SignallingClient> ws;
  json::object users;  // its MEETING_USERS
  int64_t id = 0;
  uint32_t video_ssrc = 0;
  std::unique_ptr<MediaSocket> media;
};

enum class Backend { kSqlite, kPostgres };

class SignallingTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
      postgres_uri_ = SharedPostgresServer().CreateDatabase();
    }
    std::filesystem::create_directories(runtime_dir());
    dataplane_ = std::make_unique<DataplaneProcess>(runtime_dir());
    ASSERT_TRUE(dataplane_->started()) << dataplane_->child().output();
    controlplane_ =
        std::make_unique<ControlplaneProcess>(dir_.File("state"), postgres_uri_,
                                              std::vector<std::pair<std::string, std::string>>{
                                                  {"MGW_CONTROLPLANE_PUBLIC_URL", kPublicUrl}});
    ASSERT_TRUE(controlplane_->started()) << controlplane_->child().output();
    // The registry's first tick registers the node (placement needs it), on its own thread: the
    // line may come before or after the one the start-up waited for.
    const std::regex registered("node .* registered");
    ASSERT_TRUE(std::regex_search(controlplane_->child().output(), registered) ||
                controlplane_->child().WaitForLine(registered, 30s))
        << controlplane_->child().output();
    api_ = std::make_unique<ApiClient>(controlplane_->port(), dir_.File("responses.jsonl"));
  }

  // Every message the server sent, checked against api/signalling/ by ajv when node is here.
  void TearDown() override {
#ifdef MGW_NODE_EXECUTABLE
    ChildProcess node({.args = {MGW_NODE_EXECUTABLE,
                                SourcePath("tests/controlplane/daemon/validate_signalling.mjs"),
                                SourcePath("api/signalling"), records()}});
    EXPECT_EQ(node.WaitForExit(60s).value_or(-1), 0) << "messages off api/signalling/:\n"
                                                     << node.output();
#endif
  }

  std::string records() const { return dir_.File("signalling.jsonl"); }
  std::string runtime_dir() const { return dir_.File("state") + "/run"; }

  std::string NewAccount(const std::string& name) {
    const std::string email = name + "@example.com";
    api_->SignUp(email, kPassword);
    return api_->Login(email, kPassword);
  }

  std::string CreateMeeting(const std::string& token) {
    auto reply = api_->Call("POST", "/meeting", R"({"title":"signalling"})", token);
    EXPECT_EQ(reply.status, 201) << reply.body;
    json::value meeting = reply.Json();
    EXPECT_TRUE(meeting.at("node").is_object()) << reply.body;
    if (meeting.at("node").is_object()) {
      EXPECT_EQ(meeting.at("node").at("signalling_url").as_string(),
                std::string(kPublicUrl) + "/signalling");
    }
    return std::string(meeting.at("id").as_string());
  }

  // Joins over a socket authenticated by header; its MEETING_USERS is kept.
  std::unique_ptr<Participant> Join(const std::string& token, const std::string& meeting_id) {
    auto p = std::make_unique<Participant>();
    p->token = token;
    p->ws = std::make_unique<SignallingClient>(controlplane_->port(), token, records());
    p->ws->Send({{"content_type", "JOIN"}, {"meeting_id", meeting_id}, {"encryption", "none"}});
    p->users = p->ws->Expect("MEETING_USERS");
    if (p->users.empty()) return p;
    p->id = p->users.at("self").to_number<int64_t>();
    const json::object& media = p->users.at("media").as_object();
    p->video_ssrc = static_cast<uint32_t>(media.at("video_ssrc").to_number<int64_t>());
    p->media =
        std::make_unique<MediaSocket>(std::string(media.at("address").as_string()),
                                      static_cast<uint16_t>(media.at("port").to_number<int64_t>()));
    return p;
  }

  json::object DataplaneStats() {
    control::ControlClient client(dataplane_->socket_path(runtime_dir()));
    return client.Call(control::StatsQuery{});
  }

  TempDir dir_{"mgw-signalling"};
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

TEST_P(SignallingTest, TwoParticipantsExchangeVideoAndTheHostEndsTheMeeting) {
  const std::string alice_token = NewAccount("alice");
  const std::string bob_token = NewAccount("bob");
  const std::string meeting_id = CreateMeeting(alice_token);

  auto alice = Join(alice_token, meeting_id);
  ASSERT_NE(alice->id, 0);
  EXPECT_EQ(alice->users.at("users").as_array().size(), 1u);
  EXPECT_FALSE(alice->users.at("media").as_object().contains("srtp"));

  // Bob authenticates with INIT instead of a header.
  auto bob = std::make_unique<Participant>();
  bob->ws = std::make_unique<SignallingClient>(controlplane_->port(), std::nullopt, records());
  bob->ws->Send({{"content_type", "INIT"}, {"meeting_id", meeting_id}, {"token", bob_token}});
  ASSERT_FALSE(bob->ws->Expect("INIT").empty());
  bob->ws->Send({{"content_type", "JOIN"},
                 {"meeting_id", meeting_id},
                 {"display_name", "Bob"},
                 {"encryption", "none"}});
  bob->users = bob->ws->Expect("MEETING_USERS");
  ASSERT_FALSE(bob->users.empty());
  bob->id = bob->users.at("self").to_number<int64_t>();
  EXPECT_EQ(bob->users.at("users").as_array().size(), 2u);
  const json::object& bob_media = bob->users.at("media").as_object();
  bob->video_ssrc = static_cast<uint32_t>(bob_media.at("video_ssrc").to_number<int64_t>());
  EXPECT_NE(bob->video_ssrc, alice->video_ssrc);
  bob->media = std::make_unique<MediaSocket>(
      std::string(bob_media.at("address").as_string()),
      static_cast<uint16_t>(bob_media.at("port").to_number<int64_t>()));

  json::object joined = alice->ws->Expect("JOIN");
  ASSERT_FALSE(joined.empty());
  EXPECT_EQ(joined.at("participant").at("participant_id").to_number<int64_t>(), bob->id);
  EXPECT_EQ(joined.at("participant").at("display_name").as_string(), "Bob");

  // A first packet from each latches its media address on the dataplane.
  alice->media->SendVideo(alice->video_ssrc, 1, 0);
  bob->media->SendVideo(bob->video_ssrc, 1, 0);
  alice->ws->Send({{"content_type", "SUBSCRIBE"},
                   {"meeting_id", meeting_id},
                   {"publishers", json::array{bob->id}}});
  json::object feeds = alice->ws->Expect("SUBSCRIBE");
  ASSERT_FALSE(feeds.empty());
  EXPECT_EQ(feeds.at("feeds"), (json::array{bob->id}));
  bob->ws->Send({{"content_type", "SUBSCRIBE"},
                 {"meeting_id", meeting_id},
                 {"publishers", json::array{alice->id}}});
  ASSERT_FALSE(bob->ws->Expect("SUBSCRIBE").empty());

  EXPECT_TRUE(VideoFlows(*bob, *alice, 7)) << "alice got none of bob's video";
  EXPECT_TRUE(VideoFlows(*alice, *bob, 8)) << "bob got none of alice's video";

  // UNSUB_SUB swaps feeds in one step; unsubscribing everything leaves none.
  bob->ws->Send({{"content_type", "UNSUB_SUB"},
                 {"meeting_id", meeting_id},
                 {"unsubscribe", json::array{alice->id}},
                 {"subscribe", json::array{}}});
  json::object swapped = bob->ws->Expect("UNSUB_SUB");
  ASSERT_FALSE(swapped.empty());
  EXPECT_TRUE(swapped.at("feeds").as_array().empty());

  // Only the host may end the meeting.
  bob->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id}});
  json::object refused = bob->ws->Expect("ERROR");
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(refused.at("type").as_string(), "/problems/forbidden");

  alice->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id}});
  EXPECT_FALSE(alice->ws->Expect("END").empty());
  EXPECT_FALSE(bob->ws->Expect("END").empty());
  EXPECT_TRUE(alice->ws->WaitClosed());
  EXPECT_TRUE(bob->ws->WaitClosed());

  auto meeting = api_->Call("GET", "/meeting/" + meeting_id, {}, alice_token);
  EXPECT_EQ(meeting.Json().at("state").as_string(), "ended");
  EXPECT_TRUE(DataplaneStats().at("participants").as_array().empty());
}

TEST_P(SignallingTest, LeavingTellsTheOthersAndRemovesTheParticipant) {
  const std::string alice_token = NewAccount("alice");
  const std::string bob_token = NewAccount("bob");
  const std::string meeting_id = CreateMeeting(alice_token);
  auto alice = Join(alice_token, meeting_id);
  auto bob = Join(bob_token, meeting_id);
  ASSERT_NE(bob->id, 0);
  ASSERT_FALSE(alice->ws->Expect("JOIN").empty());
  EXPECT_EQ(DataplaneStats().at("participants").as_array().size(), 2u);

  bob->ws->Send({{"content_type", "LEAVE"}, {"meeting_id", meeting_id}});
  EXPECT_TRUE(bob->ws->WaitClosed());
  json::object left = alice->ws->Expect("LEAVE");
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left.at("participant_id").to_number<int64_t>(), bob->id);
  EXPECT_EQ(DataplaneStats().at("participants").as_array().size(), 1u);

  // A socket that just drops counts as leaving too.
  auto carol = Join(NewAccount("carol"), meeting_id);
  ASSERT_FALSE(alice->ws->Expect("JOIN").empty());
  carol->ws.reset();
  json::object dropped = alice->ws->Expect("LEAVE");
  ASSERT_FALSE(dropped.empty());
  EXPECT_EQ(dropped.at("participant_id").to_number<int64_t>(), carol->id);
}

// Ending or deleting a meeting over HTTP does what END over signalling does: every socket gets
// END and is closed, and the dataplane forgets the meeting.
TEST_P(SignallingTest, EndingOrDeletingOverHttpClosesTheSockets) {
  const std::string alice_token = NewAccount("alice");
  const std::string bob_token = NewAccount("bob");
  for (const char* how : {"end", "delete"}) {
    SCOPED_TRACE(how);
    const std::string meeting_id = CreateMeeting(alice_token);
    auto alice = Join(alice_token, meeting_id);
    auto bob = Join(bob_token, meeting_id);
    ASSERT_NE(bob->id, 0);
    ASSERT_FALSE(alice->ws->Expect("JOIN").empty());
    EXPECT_EQ(DataplaneStats().at("participants").as_array().size(), 2u);
    const auto reply = std::string(how) == "end"
                           ? api_->Call("POST", "/meeting/end/" + meeting_id, {}, alice_token)
                           : api_->Call("DELETE", "/meeting/" + meeting_id, {}, alice_token);
    EXPECT_EQ(reply.status, std::string(how) == "end" ? 200 : 204) << reply.body;
    EXPECT_FALSE(alice->ws->Expect("END").empty());
    EXPECT_FALSE(bob->ws->Expect("END").empty());
    EXPECT_TRUE(alice->ws->WaitClosed());
    EXPECT_TRUE(bob->ws->WaitClosed());
    EXPECT_TRUE(DataplaneStats().at("participants").as_array().empty());
  }
}

TEST_P(SignallingTest, SchemaViolationsGetErrorAndTheSessionContinues) {
  const std::string token = NewAccount("alice");
  const std::string meeting_id = CreateMeeting(token);
  auto alice = Join(token, meeting_id);
  ASSERT_NE(alice->id, 0);

  struct Case {
    std::string text;
    std::string reason_part;
  };
  const std::vector<Case> cases = {
      {"{\"content_type\":", "malformed JSON"},
      {"[1,2]", "expected an object"},
      {R"({"meeting_id":"x"})", "content_type"},
      {R"({"content_type":"DANCE","meeting_id":"x"})", "unknown message type"},
      {R"({"content_type":"SUBSCRIBE","meeting_id":")" + meeting_id + R"(","publishers":"x"})",
       "/publishers"},
      {R"({"content_type":"SUBSCRIBE","meeting_id":")" + meeting_id + R"(","publishers":[0]})",
       "/publishers/0"},
      {R"({"content_type":"LEAVE","meeting_id":")" + meeting_id + R"(","colour":"red"})",
       "unknown field"},
      {R"({"content_type":"JOIN"})", "meeting_id"},
  };
  for (const Case& c : cases) {
    alice->ws->SendText(c.text);
    json::object error = alice->ws->Expect("ERROR");
    ASSERT_FALSE(error.empty()) << c.text;
    EXPECT_NE(std::string(error.at("reason").as_string()).find(c.reason_part), std::string::npos)
        << c.text << " -> " << json::serialize(error);
  }
  // Still joined and served.
  alice->ws->Send(
      {{"content_type", "UNSUBSCRIBE"}, {"meeting_id", meeting_id}, {"publishers", json::array{}}});
  EXPECT_FALSE(alice->ws->Expect("UNSUBSCRIBE").empty());
}

TEST_P(SignallingTest, UnauthenticatedSocketsAreClosed) {
  const std::string token = NewAccount("alice");
  const std::string meeting_id = CreateMeeting(token);
  // A bad bearer header: the upgrade is refused.
  EXPECT_THROW(SignallingClient(controlplane_->port(), std::string("not-a-token")),
               boost::system::system_error);
  // No credentials and no INIT: the first message gets ERROR and the socket closes (1008).
  SignallingClient anonymous(controlplane_->port(), std::nullopt, records());
  anonymous.Send({{"content_type", "JOIN"}, {"meeting_id", meeting_id}});
  EXPECT_FALSE(anonymous.Expect("ERROR").empty());
  EXPECT_TRUE(anonymous.WaitClosed());
  EXPECT_EQ(anonymous.close_code(), 1008);
  // INIT with a bad token: closed too.
  SignallingClient bad_init(controlplane_->port(), std::nullopt, records());
  bad_init.Send({{"content_type", "INIT"}, {"meeting_id", meeting_id}, {"token", "nope"}});
  EXPECT_TRUE(bad_init.WaitClosed());
  EXPECT_EQ(bad_init.close_code(), 1008);
}

// 49 video feeds are allowed, a 50th is refused and changes nothing.
TEST_P(SignallingTest, FiftiethVideoFeedIsRefused) {
  const std::string host_token = NewAccount("host");
  const std::string meeting_id = CreateMeeting(host_token);
  auto viewer = Join(host_token, meeting_id);
  ASSERT_NE(viewer->id, 0);
  std::vector<std::unique_ptr<Participant>> publishers;
  json::array first49;
  for (int i = 0; i < 50; ++i) {
    publishers.push_back(Join(NewAccount("publisher" + std::to_string(i)), meeting_id));
    ASSERT_NE(publishers.back()->id, 0);
    if (i < 49) first49.push_back(publishers.back()->id);
  }
  viewer->ws->Send(
      {{"content_type", "SUBSCRIBE"}, {"meeting_id", meeting_id}, {"publishers", first49}});
  json::object ok = viewer->ws->Expect("SUBSCRIBE");
  ASSERT_FALSE(ok.empty());
  EXPECT_EQ(ok.at("feeds").as_array().size(), 49u);

  viewer->ws->Send({{"content_type", "SUBSCRIBE"},
                    {"meeting_id", meeting_id},
                    {"publishers", json::array{publishers.back()->id}}});
  json::object refused = viewer->ws->Expect("ERROR");
  ASSERT_FALSE(refused.empty());
  EXPECT_EQ(refused.at("type").as_string(), "/problems/subscription-limit");

  // UNSUB_SUB within the limit is fine.
  viewer->ws->Send({{"content_type", "UNSUB_SUB"},
                    {"meeting_id", meeting_id},
                    {"unsubscribe", json::array{first49[0]}},
                    {"subscribe", json::array{publishers.back()->id}}});
  json::object swapped = viewer->ws->Expect("UNSUB_SUB");
  ASSERT_FALSE(swapped.empty());
  EXPECT_EQ(swapped.at("feeds").as_array().size(), 49u);
}

// The dataplane keeps nothing: after a restart the control plane programs it again from the
// database, and media flows again.
TEST_P(SignallingTest, RestartedDataplaneIsProgrammedAgain) {
  const std::string alice_token = NewAccount("alice");
  const std::string meeting_id = CreateMeeting(alice_token);
  auto alice = Join(alice_token, meeting_id);
  auto bob = Join(NewAccount("bob"), meeting_id);
  ASSERT_NE(bob->id, 0);
  alice->media->SendVideo(alice->video_ssrc, 1, 0);
  alice->ws->Send({{"content_type", "SUBSCRIBE"},
                   {"meeting_id", meeting_id},
                   {"publishers", json::array{bob->id}}});
  ASSERT_FALSE(alice->ws->Expect("SUBSCRIBE").empty());
  ASSERT_TRUE(VideoFlows(*bob, *alice, 5));

  dataplane_->child().Signal(SIGTERM);
  ASSERT_TRUE(dataplane_->child().WaitForExit(30s).has_value());
  // On the same media port, as a configured dataplane would be: clients keep their parameters.
  dataplane_ = std::make_unique<DataplaneProcess>(
      runtime_dir(), static_cast<int>(alice->users.at("media").at("port").to_number<int64_t>()));
  ASSERT_TRUE(dataplane_->started()) << dataplane_->child().output();
  ASSERT_TRUE(controlplane_->child().WaitForLine(
      std::regex("dataplane programmed with 2 participant"), 30s))
      << controlplane_->child().output();
  EXPECT_EQ(DataplaneStats().at("participants").as_array().size(), 2u);
  // Addresses are learned again from the first packets; the subscription survived.
  alice->media->SendVideo(alice->video_ssrc, 2, 0);
  EXPECT_TRUE(VideoFlows(*bob, *alice, 6));
}

// A dataplane that stops reporting is marked down after 10 s, and the sockets of its meetings are
// told (ERROR /problems/node-down) while they stay open.
TEST_P(SignallingTest, ClientsAreToldWhenTheirNodeGoesDown) {
  const std::string token = NewAccount("alice");
  const std::string meeting_id = CreateMeeting(token);
  auto alice = Join(token, meeting_id);
  ASSERT_NE(alice->id, 0);
  dataplane_->child().Signal(SIGTERM);
  ASSERT_TRUE(dataplane_->child().WaitForExit(30s).has_value());
  std::optional<json::object> told = alice->ws->Next(30s);
  ASSERT_TRUE(told) << controlplane_->child().output();
  EXPECT_EQ(told->at("content_type").as_string(), "ERROR");
  EXPECT_EQ(told->at("type").as_string(), "/problems/node-down");
  EXPECT_EQ(told->at("meeting_id").as_string(), meeting_id);
  EXPECT_FALSE(alice->ws->closed());
}

// Two control planes on one PostgreSQL and one dataplane, managed by A. A meeting created through
// A is placed on A's node; alice joins over A's WebSocket, bob over B's. B programs A's dataplane
// through the relay (NOTIFY to A, which owns the control socket), and JOIN, LEAVE and END reach
// the sockets of the other process the same way.
TEST(TwoControlPlanesTest, AMeetingOnOneIsJoinedThroughTheOther) {
  ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
  const std::string uri = SharedPostgresServer().CreateDatabase();
  TempDir dir("mgw-two-cps");
  const std::string records = dir.File("signalling.jsonl");
  std::filesystem::create_directories(dir.File("a") + "/run");
  std::filesystem::create_directories(dir.File("b") + "/run");
  DataplaneProcess dataplane(dir.File("a") + "/run");
  ASSERT_TRUE(dataplane.started()) << dataplane.child().output();
  ControlplaneProcess cp_a(dir.File("a"), uri,
                           {{"MGW_CONTROLPLANE_PUBLIC_URL", "http://cp-a.mgw.test:8080"}});
  ASSERT_TRUE(cp_a.started()) << cp_a.child().output();
  const std::regex registered("node .* registered");
  ASSERT_TRUE(std::regex_search(cp_a.child().output(), registered) ||
              cp_a.child().WaitForLine(registered, 30s))
      << cp_a.child().output();
  // B has no dataplane of its own (its socket path is empty): it only relays.
  ControlplaneProcess cp_b(dir.File("b"), uri,
                           {{"MGW_CONTROLPLANE_PUBLIC_URL", "http://cp-b.mgw.test:8080"}});
  ASSERT_TRUE(cp_b.started()) << cp_b.child().output();
  ApiClient api_a(cp_a.port(), dir.File("a.jsonl"));
  ApiClient api_b(cp_b.port(), dir.File("b.jsonl"));
  api_a.SignUp("alice@example.com", kPassword);
  const std::string alice_token = api_a.Login("alice@example.com", kPassword);
  api_b.SignUp("bob@example.com", kPassword);
  const std::string bob_token = api_b.Login("bob@example.com", kPassword);
  api_b.SignUp("carol@example.com", kPassword);
  const std::string carol_token = api_b.Login("carol@example.com", kPassword);

  auto created = api_a.Call("POST", "/meeting", R"({"title":"two"})", alice_token);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string meeting_id(created.Json().at("id").as_string());
  EXPECT_EQ(created.Json().at("node").at("signalling_url").as_string(),
            "http://cp-a.mgw.test:8080/signalling");

  auto join = [&](uint16_t port, const std::string& token) {
    auto p = std::make_unique<Participant>();
    p->token = token;
    p->ws = std::make_unique<SignallingClient>(port, token, records);
    p->ws->Send({{"content_type", "JOIN"}, {"meeting_id", meeting_id}, {"encryption", "none"}});
    p->users = p->ws->Expect("MEETING_USERS");
    if (p->users.empty()) return p;
    p->id = p->users.at("self").to_number<int64_t>();
    const json::object& media = p->users.at("media").as_object();
    p->video_ssrc = static_cast<uint32_t>(media.at("video_ssrc").to_number<int64_t>());
    p->media =
        std::make_unique<MediaSocket>(std::string(media.at("address").as_string()),
                                      static_cast<uint16_t>(media.at("port").to_number<int64_t>()));
    return p;
  };
  auto alice = join(cp_a.port(), alice_token);
  ASSERT_NE(alice->id, 0) << cp_a.child().output();
  auto bob = join(cp_b.port(), bob_token);
  ASSERT_NE(bob->id, 0) << cp_b.child().output();
  EXPECT_EQ(bob->users.at("users").as_array().size(), 2u);
  // One dataplane: the same media address and port for both.
  EXPECT_EQ(bob->users.at("media").at("address"), alice->users.at("media").at("address"));
  EXPECT_EQ(bob->users.at("media").at("port"), alice->users.at("media").at("port"));
  json::object joined = alice->ws->Expect("JOIN");  // relayed from B
  ASSERT_FALSE(joined.empty());
  EXPECT_EQ(joined.at("participant").at("participant_id").to_number<int64_t>(), bob->id);

  // Both dataplane participants exist, one added by A itself and one at B's request.
  control::ControlClient control(dir.File("a") + "/run/dataplane.sock");
  EXPECT_EQ(control.Call(control::StatsQuery{}).at("participants").as_array().size(), 2u);

  alice->media->SendVideo(alice->video_ssrc, 1, 0);
  bob->media->SendVideo(bob->video_ssrc, 1, 0);
  alice->ws->Send({{"content_type", "SUBSCRIBE"},
                   {"meeting_id", meeting_id},
                   {"publishers", json::array{bob->id}}});
  json::object alice_feeds = alice->ws->Expect("SUBSCRIBE");
  ASSERT_FALSE(alice_feeds.empty());
  EXPECT_EQ(alice_feeds.at("feeds"), (json::array{bob->id}));
  bob->ws->Send({{"content_type", "SUBSCRIBE"},
                 {"meeting_id", meeting_id},
                 {"publishers", json::array{alice->id}}});
  json::object bob_feeds = bob->ws->Expect("SUBSCRIBE");  // programmed through A
  ASSERT_FALSE(bob_feeds.empty());
  EXPECT_EQ(bob_feeds.at("feeds"), (json::array{alice->id}));
  EXPECT_TRUE(VideoFlows(*bob, *alice, 7)) << "alice got none of bob's video";
  EXPECT_TRUE(VideoFlows(*alice, *bob, 8)) << "bob got none of alice's video";

  // Both relays lose their LISTEN connection (the server ends those backends); they reconnect
  // and re-read the database, and relaying goes on.
  {
    PGconn* admin = PQconnectdb(uri.c_str());
    ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
    PGresult* killed = PQexec(admin,
                              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE query = 'LISTEN mgw_signalling' "
                              "AND datname = current_database()");
    EXPECT_EQ(PQresultStatus(killed), PGRES_TUPLES_OK) << PQerrorMessage(admin);
    EXPECT_EQ(PQntuples(killed), 2);
    PQclear(killed);
    PQfinish(admin);
  }
  const std::regex again("signalling relay: listening again");
  EXPECT_TRUE(cp_a.child().WaitForLine(again, 30s)) << cp_a.child().output();
  EXPECT_TRUE(cp_b.child().WaitForLine(again, 30s)) << cp_b.child().output();

  // A third participant on B comes and goes: A's socket hears both, B's other socket too.
  auto carol = join(cp_b.port(), carol_token);
  ASSERT_NE(carol->id, 0);
  EXPECT_EQ(carol->users.at("users").as_array().size(), 3u);
  EXPECT_EQ(alice->ws->Expect("JOIN").at("participant").at("participant_id").to_number<int64_t>(),
            carol->id);
  EXPECT_EQ(bob->ws->Expect("JOIN").at("participant").at("participant_id").to_number<int64_t>(),
            carol->id);
  carol->ws->Send({{"content_type", "LEAVE"}, {"meeting_id", meeting_id}});
  EXPECT_EQ(alice->ws->Expect("LEAVE").at("participant_id").to_number<int64_t>(), carol->id);
  EXPECT_EQ(bob->ws->Expect("LEAVE").at("participant_id").to_number<int64_t>(), carol->id);
  EXPECT_TRUE(carol->ws->WaitClosed());
  EXPECT_EQ(control.Call(control::StatsQuery{}).at("participants").as_array().size(), 2u);

  // END from the host on A closes bob's socket on B too.
  alice->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id}});
  EXPECT_FALSE(alice->ws->Expect("END").empty());
  EXPECT_FALSE(bob->ws->Expect("END").empty());
  EXPECT_TRUE(alice->ws->WaitClosed());
  EXPECT_TRUE(bob->ws->WaitClosed());
  EXPECT_TRUE(control.Call(control::StatsQuery{}).at("participants").as_array().empty());
  EXPECT_EQ(api_b.Call("GET", "/meeting/" + meeting_id, {}, alice_token).Json().at("state"),
            "ended");

  // An END that B cannot hear (its LISTEN connection is gone and new connections are refused)
  // reaches bob's socket when B is back: it re-reads the meeting from the database.
  auto second = api_a.Call("POST", "/meeting", R"({"title":"resync"})", alice_token);
  ASSERT_EQ(second.status, 201) << second.body;
  const std::string second_id(second.Json().at("id").as_string());
  SignallingClient alice2(cp_a.port(), alice_token);
  alice2.Send({{"content_type", "JOIN"}, {"meeting_id", second_id}, {"encryption", "none"}});
  ASSERT_FALSE(alice2.Expect("MEETING_USERS").empty());
  SignallingClient bob2(cp_b.port(), bob_token);
  bob2.Send({{"content_type", "JOIN"}, {"meeting_id", second_id}, {"encryption", "none"}});
  ASSERT_FALSE(bob2.Expect("MEETING_USERS").empty());
  ASSERT_FALSE(alice2.Expect("JOIN").empty());
  // On the "postgres" database: a database cannot refuse connections while one is using it.
  const char* keywords[] = {"dbname", "dbname", nullptr};
  const char* values[] = {uri.c_str(), "postgres", nullptr};
  PGconn* admin = PQconnectdbParams(keywords, values, 1);
  ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
  auto sql = [admin](const std::string& statement) {
    PGresult* result = PQexec(admin, statement.c_str());
    EXPECT_TRUE(PQresultStatus(result) == PGRES_COMMAND_OK ||
                PQresultStatus(result) == PGRES_TUPLES_OK)
        << statement << ": " << PQerrorMessage(admin);
    PQclear(result);
  };
  PGconn* own = PQconnectdb(uri.c_str());
  const std::string database = PQdb(own);
  PQfinish(own);
  sql("ALTER DATABASE \"" + database + "\" ALLOW_CONNECTIONS false");
  sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN "
      "mgw_signalling' AND datname = '" +
      database + "'");
  const std::regex failing("signalling relay: reconnecting to PostgreSQL failed");
  EXPECT_TRUE(cp_b.child().WaitForLine(failing, 30s)) << cp_b.child().output();
  alice2.Send({{"content_type", "END"}, {"meeting_id", second_id}});
  EXPECT_FALSE(alice2.Expect("END").empty());
  EXPECT_TRUE(alice2.WaitClosed());
  // B was not listening when the END was notified (its reconnects are failing), so the END that
  // bob gets below can only come from B re-reading the database after it reconnects.
  sql("ALTER DATABASE \"" + database + "\" ALLOW_CONNECTIONS true");
  PQfinish(admin);
  EXPECT_TRUE(cp_b.child().WaitForLine(again, 30s)) << cp_b.child().output();
  EXPECT_FALSE(bob2.Expect("END").empty()) << cp_b.child().output();
  EXPECT_TRUE(bob2.WaitClosed());

#ifdef MGW_NODE_EXECUTABLE
  ChildProcess node({.args = {MGW_NODE_EXECUTABLE,
                              SourcePath("tests/controlplane/daemon/validate_signalling.mjs"),
                              SourcePath("api/signalling"), records}});
  EXPECT_EQ(node.WaitForExit(60s).value_or(-1), 0) << node.output();
#endif
}

INSTANTIATE_TEST_SUITE_P(Backends, SignallingTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace mgw::testing
