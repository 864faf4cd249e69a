// WebSocket signalling end to end: a real mgw-dataplane (posix backend on 127.0.0.1) and a real
// mgw-controlplane pointed at its control socket. Participants join over WebSocket, get their
// media parameters, send RTP from real UDP sockets, subscribe to each other's video and receive
// each other's packets; the host ends the meeting and every socket closes.
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
#include "mgw/control/control_server.h"
#include "signalling_client.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kPublicUrl = "http://cp-a.mgw.test:8080";
constexpr const char* kPassword = "correct-horse-battery";

using Bytes = std::vector<uint8_t>;

// A participant's media socket: sends RTP to the dataplane, receives what it forwards.
class MediaSocket {
 public:
  MediaSocket(const std::string& address, uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
    to_.sin_family = AF_INET;
    to_.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &to_.sin_addr);
  }
  ~MediaSocket() { close(fd_); }

  // A VP8 keyframe carrying `tag` after the payload descriptor.
  void SendVideo(uint32_t ssrc, uint16_t seq, uint32_t tag) {
    Bytes b = {0x80,
               96,
               static_cast<uint8_t>(seq >> 8),
               static_cast<uint8_t>(seq),
               0,
               0,
               static_cast<uint8_t>(seq >> 8),
               static_cast<uint8_t>(seq),
               0,
               0,
               0,
               0};
    for (int i = 0; i < 4; ++i) b[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    for (uint8_t x : {0x90, 0x80, 0x05, 0x9C, 0x01, 0x2A}) b.push_back(x);
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(tag >> (24 - 8 * i)));
    b.resize(b.size() + 100, 0x42);
    sendto(fd_, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_);
  }

  // The tag of the next video packet (payload type 96) within `timeout`.
  std::optional<uint32_t> ReceiveVideoTag(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      uint8_t buf[2048];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n < 22 || (buf[1] & 0x7f) != 96) continue;  // audio or RTCP
      return (uint32_t{buf[18]} << 24) | (uint32_t{buf[19]} << 16) | (uint32_t{buf[20]} << 8) |
             buf[21];
    }
  }

 private:
  int fd_ = -1;
  sockaddr_in to_{};
};

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

// Two control planes on one PostgreSQL, each with its own dataplane: a meeting created through one
// is joined through the control plane of the node it was placed on; the other sends the client
// there (JOIN_DENIED naming the signalling URL), and MEETING_USERS comes from the shared database.
TEST(TwoControlPlanesTest, ClientsAreSentToTheMeetingsNode) {
  ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
  const std::string uri = SharedPostgresServer().CreateDatabase();
  TempDir dir("mgw-two-cps");
  struct Site {
    std::string url;
    std::unique_ptr<DataplaneProcess> dataplane;
    std::unique_ptr<ControlplaneProcess> controlplane;
  };
  std::vector<Site> sites(2);
  for (int i = 0; i < 2; ++i) {
    const std::string state = dir.File(i == 0 ? "a" : "b");
    std::filesystem::create_directories(state + "/run");
    sites[i].url = i == 0 ? "http://cp-a.mgw.test:8080" : "http://cp-b.mgw.test:8080";
    sites[i].dataplane = std::make_unique<DataplaneProcess>(state + "/run");
    ASSERT_TRUE(sites[i].dataplane->started()) << sites[i].dataplane->child().output();
    sites[i].controlplane =
        std::make_unique<ControlplaneProcess>(state, uri,
                                              std::vector<std::pair<std::string, std::string>>{
                                                  {"MGW_CONTROLPLANE_PUBLIC_URL", sites[i].url}});
    ASSERT_TRUE(sites[i].controlplane->started()) << sites[i].controlplane->child().output();
    const std::regex registered("node .* registered");
    ASSERT_TRUE(std::regex_search(sites[i].controlplane->child().output(), registered) ||
                sites[i].controlplane->child().WaitForLine(registered, 30s));
  }
  ApiClient api_a(sites[0].controlplane->port(), dir.File("a.jsonl"));
  ApiClient api_b(sites[1].controlplane->port(), dir.File("b.jsonl"));
  api_a.SignUp("alice@example.com", kPassword);
  const std::string alice = api_a.Login("alice@example.com", kPassword);
  api_b.SignUp("bob@example.com", kPassword);
  const std::string bob = api_b.Login("bob@example.com", kPassword);

  auto created = api_a.Call("POST", "/meeting", R"({"title":"two"})", alice);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string meeting_id(created.Json().at("id").as_string());
  const std::string signalling_url(created.Json().at("node").at("signalling_url").as_string());
  const int right = signalling_url == sites[0].url + "/signalling" ? 0 : 1;
  ASSERT_EQ(signalling_url, sites[right].url + "/signalling");
  const uint16_t right_port = sites[right].controlplane->port();
  const uint16_t wrong_port = sites[1 - right].controlplane->port();

  SignallingClient alice_ws(right_port, alice);
  alice_ws.Send({{"content_type", "JOIN"}, {"meeting_id", meeting_id}, {"encryption", "none"}});
  ASSERT_FALSE(alice_ws.Expect("MEETING_USERS").empty());

  SignallingClient bob_wrong(wrong_port, bob);
  bob_wrong.Send({{"content_type", "JOIN"}, {"meeting_id", meeting_id}});
  json::object denied = bob_wrong.Expect("JOIN_DENIED");
  ASSERT_FALSE(denied.empty());
  EXPECT_EQ(denied.at("type").as_string(), "/problems/wrong-node");
  EXPECT_NE(std::string(denied.at("reason").as_string()).find(signalling_url), std::string::npos);

  SignallingClient bob_ws(right_port, bob);
  bob_ws.Send({{"content_type", "JOIN"}, {"meeting_id", meeting_id}});
  json::object users = bob_ws.Expect("MEETING_USERS");
  ASSERT_FALSE(users.empty());
  EXPECT_EQ(users.at("users").as_array().size(), 2u);
  EXPECT_TRUE(users.at("media").as_object().contains("srtp"));  // SRTP unless asked otherwise
  EXPECT_FALSE(alice_ws.Expect("JOIN").empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, SignallingTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace mgw::testing
