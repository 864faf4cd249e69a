// Media through signalling, end to end: a real mgw-dataplane (posix backend on 127.0.0.1) and a
// real mgw-controlplane. Participants join over WebSocket and use what the answers carry:
// - SRTP: the keys of MEETING_USERS protect what each sends and unprotect what it receives
//   (libsrtp on the client side, tests/dataplane/daemon/e2e_support);
// - RFC 4588: a client announces its RTX payload type in JOIN; its SUBSCRIBE answer names each
//   feed's RTX stream; a NACK for a lost packet is answered on that stream, also after the
//   dataplane restarted and was programmed again from the database.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "api_client.h"
#include "child_process.h"
#include "controlplane/storage/postgres_server.h"
#include "controlplane_process.h"
#include "dataplane/daemon/e2e_support.h"
#include "dataplane_process.h"
#include "mgw/control/control_protocol.h"
#include "mgw/control/control_server.h"
#include "signalling_client.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using e2e::Bytes;
using e2e::Codec;
using e2e::Rtp;

constexpr const char* kPassword = "correct-horse-battery";
constexpr uint8_t kVideoPt = 96;
constexpr uint8_t kRtxPt = 97;

// A client's media: a UDP socket on 127.0.0.1 talking to the dataplane, with libsrtp contexts
// when the client joined with SRTP keys.
class Client {
 public:
  explicit Client(const json::object& users) {
    const json::object& media = users.at("media").as_object();
    id = users.at("self").to_number<int64_t>();
    video_ssrc = static_cast<uint32_t>(media.at("video_ssrc").to_number<int64_t>());
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
    to_.sin_family = AF_INET;
    to_.sin_port = htons(static_cast<uint16_t>(media.at("port").to_number<int64_t>()));
    inet_pton(AF_INET, std::string(media.at("address").as_string()).c_str(), &to_.sin_addr);
    if (const json::value* srtp = media.if_contains("srtp")) {
      const auto suite = srtp->at("suite").as_string() == "AEAD_AES_128_GCM"
                             ? control::SrtpSuite::kAeadAes128Gcm
                             : control::SrtpSuite::kAesCm128HmacSha1_80;
      auto rx = control::Base64Decode(std::string(srtp->at("rx_key").as_string()));
      auto tx = control::Base64Decode(std::string(srtp->at("tx_key").as_string()));
      EXPECT_TRUE(rx && tx) << "keys not base64";
      // rx_key protects what the client sends, tx_key what it receives.
      protect_ = std::make_unique<e2e::SrtpContext>(suite, rx.value_or(Bytes(30)), true);
      unprotect_ = std::make_unique<e2e::SrtpContext>(suite, tx.value_or(Bytes(30)), false);
      EXPECT_TRUE(protect_->ok() && unprotect_->ok());
    }
  }
  ~Client() { close(fd_); }

  bool srtp() const { return protect_ != nullptr; }

  // One video packet (a VP8 keyframe when `keyframe`) tagged `tag`, protected when SRTP.
  void SendVideo(bool keyframe, uint32_t tag) { SendVideoWith(protect_.get(), keyframe, tag); }
  // The same, protected with `srtp` instead of the client's own context (nullptr: plain RTP).
  void SendVideoWith(e2e::SrtpContext* srtp, bool keyframe, uint32_t tag) {
    Rtp rtp;
    rtp.pt = kVideoPt;
    rtp.ssrc = video_ssrc;
    rtp.seq = seq_++;
    rtp.ts = ts_;
    rtp.marker = true;
    ts_ += 3000;
    rtp.payload = e2e::VideoPayload(Codec::kVp8, keyframe, tag, 200);
    Bytes wire = e2e::BuildRtp(rtp);
    if (srtp != nullptr) wire = srtp->ProtectRtp(wire);
    SendRaw(wire);
  }
  void SendRtcp(const Bytes& rtcp) { SendRaw(protect_ ? protect_->ProtectRtcp(rtcp) : rtcp); }
  void SendRaw(const Bytes& wire) {
    sendto(fd_, wire.data(), wire.size(), 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_);
  }

  // The next RTP packet matching `want` within `timeout` (RTCP and others skipped), unprotected
  // when SRTP; packets that fail to unprotect are counted in `unprotect_failures`.
  std::optional<Rtp> Receive(const std::function<bool(const Rtp&)>& want,
                             std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      Bytes buf(2048);
      ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
      if (n <= 0) continue;
      buf.resize(static_cast<size_t>(n));
      if (e2e::IsRtcp(buf)) continue;
      if (unprotect_) {
        std::optional<Bytes> plain = unprotect_->UnprotectRtp(buf);
        if (!plain) {
          ++unprotect_failures;
          continue;
        }
        buf = *std::move(plain);
      }
      std::optional<Rtp> rtp = e2e::ParseRtp(buf);
      if (rtp && want(*rtp)) return rtp;
    }
  }

  int64_t id = 0;
  uint32_t video_ssrc = 0;
  int unprotect_failures = 0;

 private:
  int fd_ = -1;
  sockaddr_in to_{};
  uint16_t seq_ = 1000;
  uint32_t ts_ = 90000;
  std::unique_ptr<e2e::SrtpContext> protect_;
  std::unique_ptr<e2e::SrtpContext> unprotect_;
};

std::function<bool(const Rtp&)> VideoTagged(uint32_t tag) {
  return [tag](const Rtp& rtp) {
    return rtp.pt == kVideoPt && e2e::PayloadTag(Codec::kVp8, rtp.payload) == tag;
  };
}

enum class Backend { kSqlite, kPostgres };

class SignallingMediaTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      ASSERT_TRUE(PostgresServer::Available()) << "no PostgreSQL server binaries";
      postgres_uri_ = SharedPostgresServer().CreateDatabase();
    }
    std::filesystem::create_directories(runtime_dir());
    dataplane_ = std::make_unique<DataplaneProcess>(runtime_dir());
    ASSERT_TRUE(dataplane_->started()) << dataplane_->child().output();
    controlplane_ = std::make_unique<ControlplaneProcess>(dir_.File("state"), postgres_uri_);
    ASSERT_TRUE(controlplane_->started()) << controlplane_->child().output();
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
    auto reply = api_->Call("POST", "/meeting", R"({"title":"media"})", token);
    EXPECT_EQ(reply.status, 201) << reply.body;
    return std::string(reply.Json().at("id").as_string());
  }

  std::unique_ptr<SignallingClient> Socket(const std::string& token) {
    return std::make_unique<SignallingClient>(controlplane_->port(), token, records());
  }

  // Subscribes `ws` to `publishers`; the answer.
  json::object Subscribe(SignallingClient& ws, const std::string& meeting_id,
                         const json::array& publishers) {
    ws.Send(
        {{"content_type", "SUBSCRIBE"}, {"meeting_id", meeting_id}, {"publishers", publishers}});
    return ws.Expect("SUBSCRIBE");
  }

  json::object DataplaneStats() {
    control::ControlClient client(dataplane_->socket_path(runtime_dir()));
    return client.Call(control::StatsQuery{});
  }

  TempDir dir_{"mgw-signalling-media"};
  std::optional<std::string> postgres_uri_;
  std::unique_ptr<DataplaneProcess> dataplane_;
  std::unique_ptr<ControlplaneProcess> controlplane_;
  std::unique_ptr<ApiClient> api_;
};

// `to` receives `from`'s video tagged `tag`: `from` sends keyframes until one arrives (each
// send is answered or not within the poll deadline; no sleeps).
bool VideoFlows(Client& from, Client& to, uint32_t tag) {
  for (int i = 0; i < 50; ++i) {
    from.SendVideo(true, tag);
    if (to.Receive(VideoTagged(tag), 200ms)) return true;
  }
  return false;
}

// Two participants join with `encryption: srtp`, protect with the keys they were given,
// subscribe to each other and unprotect what they receive; a packet protected with the wrong key
// never reaches the other side.
TEST_P(SignallingMediaTest, SrtpMediaFlowsWithTheKeysFromSignalling) {
  const std::string alice_token = NewAccount("alice");
  const std::string bob_token = NewAccount("bob");
  const std::string meeting_id = CreateMeeting(alice_token);

  auto alice_ws = Socket(alice_token);
  alice_ws->Send({{"content_type", "JOIN"}, {"meeting_id", meeting_id}, {"encryption", "srtp"}});
  json::object alice_users = alice_ws->Expect("MEETING_USERS");
  ASSERT_FALSE(alice_users.empty());
  ASSERT_TRUE(alice_users.at("media").as_object().contains("srtp"));
  auto bob_ws = Socket(bob_token);
  bob_ws->Send({{"content_type", "JOIN"}, {"meeting_id", meeting_id}});  // srtp by default
  json::object bob_users = bob_ws->Expect("MEETING_USERS");
  ASSERT_FALSE(bob_users.empty());
  const json::object& bob_srtp = bob_users.at("media").at("srtp").as_object();
  EXPECT_EQ(bob_srtp.at("suite").as_string(), "AES_CM_128_HMAC_SHA1_80");
  EXPECT_NE(bob_srtp.at("rx_key"), alice_users.at("media").at("srtp").at("rx_key"));
  ASSERT_FALSE(alice_ws->Expect("JOIN").empty());

  Client alice(alice_users);
  Client bob(bob_users);
  ASSERT_TRUE(alice.srtp() && bob.srtp());
  // A first valid (authenticated) packet from each latches its address.
  alice.SendVideo(true, 0);
  bob.SendVideo(true, 0);
  EXPECT_EQ(Subscribe(*alice_ws, meeting_id, {bob.id}).at("feeds"), (json::array{bob.id}));
  EXPECT_EQ(Subscribe(*bob_ws, meeting_id, {alice.id}).at("feeds"), (json::array{alice.id}));

  EXPECT_TRUE(VideoFlows(bob, alice, 7)) << "alice could not unprotect any of bob's video";
  EXPECT_TRUE(VideoFlows(alice, bob, 8)) << "bob could not unprotect any of alice's video";
  EXPECT_EQ(alice.unprotect_failures, 0);
  EXPECT_EQ(bob.unprotect_failures, 0);

  // From bob's address and SSRC, but protected with alice's key, or not at all: dropped, never
  // forwarded.
  const auto drops = [this] {
    uint64_t n = 0;
    const json::object stats = DataplaneStats();
    if (const json::value* d = stats.if_contains("drops")) {
      if (const json::value* f = d->as_object().if_contains("srtp_auth_fail")) {
        n = f->to_number<uint64_t>();
      }
    }
    return n;
  };
  const uint64_t auth_failures = drops();
  auto alice_key = control::Base64Decode(
      std::string(alice_users.at("media").at("srtp").at("rx_key").as_string()));
  e2e::SrtpContext forged(control::SrtpSuite::kAesCm128HmacSha1_80, alice_key.value_or(Bytes(30)),
                          true);
  for (int i = 0; i < 5; ++i) bob.SendVideoWith(&forged, true, 9);
  bob.SendVideoWith(nullptr, true, 9);
  bob.SendVideo(true, 10);
  std::optional<Rtp> next = alice.Receive(
      [](const Rtp& rtp) {
        auto tag = e2e::PayloadTag(Codec::kVp8, rtp.payload);
        return rtp.pt == kVideoPt && (tag == 9u || tag == 10u);
      },
      5s);
  ASSERT_TRUE(next);
  EXPECT_EQ(e2e::PayloadTag(Codec::kVp8, next->payload), 10u) << "a forged packet got through";
  EXPECT_GE(drops(), auth_failures + 5) << json::serialize(DataplaneStats().at("drops"));
}

// RFC 4588 offered to clients: both announce RTX payload type 97 in JOIN; the SUBSCRIBE answer
// names the feed's RTX stream (the publisher's video_rtx_ssrc, the subscriber's payload type);
// a NACK for a lost packet is answered there, with the original sequence number first. After a
// dataplane restart the leg is programmed again with the same RTX stream.
TEST_P(SignallingMediaTest, NackIsAnsweredOnTheRtxStreamOfferedInSignalling) {
  const std::string alice_token = NewAccount("alice");
  const std::string meeting_id = CreateMeeting(alice_token);
  auto alice_ws = Socket(alice_token);
  alice_ws->Send({{"content_type", "JOIN"},
                  {"meeting_id", meeting_id},
                  {"encryption", "none"},
                  {"rtx_payload_type", kRtxPt}});
  json::object alice_users = alice_ws->Expect("MEETING_USERS");
  ASSERT_FALSE(alice_users.empty());
  const json::object& alice_media = alice_users.at("media").as_object();
  EXPECT_EQ(alice_media.at("rtx_payload_type").to_number<int64_t>(), kRtxPt);
  ASSERT_TRUE(alice_media.contains("video_rtx_ssrc"));

  auto bob_ws = Socket(NewAccount("bob"));
  bob_ws->Send({{"content_type", "JOIN"},
                {"meeting_id", meeting_id},
                {"encryption", "none"},
                {"rtx_payload_type", kRtxPt}});
  json::object bob_users = bob_ws->Expect("MEETING_USERS");
  ASSERT_FALSE(bob_users.empty());
  const uint32_t bob_rtx_ssrc =
      static_cast<uint32_t>(bob_users.at("media").at("video_rtx_ssrc").to_number<int64_t>());
  json::object joined = alice_ws->Expect("JOIN");
  ASSERT_FALSE(joined.empty());
  EXPECT_EQ(joined.at("participant").at("video_rtx_ssrc").to_number<int64_t>(), bob_rtx_ssrc);

  // A payload type that is the video's is refused.
  auto carol_ws = Socket(NewAccount("carol"));
  carol_ws->Send({{"content_type", "JOIN"},
                  {"meeting_id", meeting_id},
                  {"encryption", "none"},
                  {"rtx_payload_type", 96}});
  json::object denied = carol_ws->Expect("JOIN_DENIED");
  ASSERT_FALSE(denied.empty());
  EXPECT_EQ(denied.at("type").as_string(), "/problems/invalid-field");

  Client alice(alice_users);
  Client bob(bob_users);
  alice.SendVideo(true, 0);
  bob.SendVideo(true, 0);
  json::object feeds = Subscribe(*alice_ws, meeting_id, {bob.id});
  ASSERT_FALSE(feeds.empty());
  ASSERT_TRUE(feeds.contains("feed_rtx")) << json::serialize(feeds);
  const json::object& leg = feeds.at("feed_rtx").at(0).as_object();
  EXPECT_EQ(leg.at("participant_id").to_number<int64_t>(), bob.id);
  EXPECT_EQ(leg.at("rtx_ssrc").to_number<int64_t>(), bob_rtx_ssrc);
  EXPECT_EQ(leg.at("rtx_payload_type").to_number<int64_t>(), kRtxPt);

  // alice receives bob's packets, "loses" one and NACKs it (RFC 4585 generic NACK).
  const auto nack_answered = [&](uint32_t first_tag) {
    EXPECT_TRUE(VideoFlows(bob, alice, first_tag)) << "no video from bob";
    std::vector<Rtp> got;
    for (uint32_t tag = first_tag + 1; tag <= first_tag + 5; ++tag) {
      bob.SendVideo(false, tag);
      std::optional<Rtp> rtp = alice.Receive(VideoTagged(tag), 2s);
      if (!rtp) return false;
      got.push_back(*rtp);
    }
    const Rtp& lost = got[2];
    alice.SendRtcp(e2e::Nack(alice.video_ssrc, lost.ssrc, lost.seq, 0));
    std::optional<Rtp> rtx =
        alice.Receive([&](const Rtp& rtp) { return rtp.ssrc == bob_rtx_ssrc; }, 5s);
    if (!rtx) return false;
    EXPECT_EQ(rtx->pt, kRtxPt);
    EXPECT_EQ(rtx->ts, lost.ts);
    EXPECT_EQ(rtx->payload.size(), lost.payload.size() + 2);
    if (rtx->payload.size() != lost.payload.size() + 2) return false;
    EXPECT_EQ((rtx->payload[0] << 8) | rtx->payload[1], lost.seq);  // OSN
    EXPECT_TRUE(std::equal(lost.payload.begin(), lost.payload.end(), rtx->payload.begin() + 2));
    return true;
  };
  EXPECT_TRUE(nack_answered(100)) << "no RTX answer to the NACK";

  // The dataplane restarts on the same port and is programmed again from the database.
  dataplane_->child().Signal(SIGTERM);
  ASSERT_TRUE(dataplane_->child().WaitForExit(30s).has_value());
  dataplane_ = std::make_unique<DataplaneProcess>(
      runtime_dir(), static_cast<int>(alice_media.at("port").to_number<int64_t>()));
  ASSERT_TRUE(dataplane_->started()) << dataplane_->child().output();
  ASSERT_TRUE(controlplane_->child().WaitForLine(
      std::regex("dataplane programmed with 2 participant"), 30s))
      << controlplane_->child().output();
  alice.SendVideo(true, 0);  // latch alice's address again
  EXPECT_TRUE(nack_answered(200)) << "no RTX answer after the dataplane restarted";
}

INSTANTIATE_TEST_SUITE_P(Backends, SignallingMediaTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace mgw::testing
