// The service functions on a real SQLite file with an injected clock: what the HTTP tests cannot
// reach without waiting (token expiry, rate-limit windows) and what they cannot see (the job
// queue, node load figures).
#include "mgw/service/services.h"

#include <gtest/gtest.h>

#include <memory>

#include "mgw/service/service_error.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/sqlite_database.h"
#include "temp_dir.h"

namespace mgw::service {
namespace {

using namespace std::chrono_literals;

class ServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = storage::OpenDatabase(dir_.File("mgw.db"));
    storage::MigrateToLatest(*db_, clock_);
    ServiceOptions options;
    options.login_limits = {
        .max_failures_per_account = 2, .max_failures_per_address = 3, .window = 60s};
    services_ = std::make_unique<Services>(*db_, clock_, options);
  }

  Caller SignUpAndLogin(const std::string& email) {
    services_->accounts.SignUp({.email = email, .password = "long password"}, nullptr);
    LoginResult login = services_->accounts.Login(
        {.email = email, .password = "long password", .source_address = "198.18.0.1"});
    return services_->authenticator.Authenticate("Bearer " + login.token);
  }

  static ErrorKind KindOf(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const ServiceError& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no ServiceError";
    return ErrorKind::kUnavailable;
  }

  mgw::testing::TempDir dir_;
  storage::ManualClock clock_{storage::FromUnixMillis(1'900'000'000'000)};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Services> services_;
};

TEST_F(ServicesTest, TokensExpire) {
  services_->accounts.SignUp({.email = "a@example.com", .password = "long password"}, nullptr);
  LoginResult login = services_->accounts.Login({.email = "a@example.com",
                                                 .password = "long password",
                                                 .expires_in_seconds = 120,
                                                 .source_address = "198.18.0.1"});
  EXPECT_NO_THROW(services_->authenticator.Authenticate("Bearer " + login.token));
  clock_.Advance(121s);
  try {
    services_->authenticator.Authenticate("Bearer " + login.token);
    ADD_FAILURE() << "an expired token was accepted";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.type(), problem::kInvalidToken);
    EXPECT_EQ(e.detail(), "the token has expired");
  }
}

TEST_F(ServicesTest, LoginLimitsSlideWithTheWindow) {
  services_->accounts.SignUp({.email = "b@example.com", .password = "long password"}, nullptr);
  auto login = [&](const std::string& email, const std::string& password,
                   const std::string& from = "198.18.0.2") {
    return KindOf([&] {
      services_->accounts.Login({.email = email, .password = password, .source_address = from});
    });
  };
  EXPECT_EQ(login("b@example.com", "wrong"), ErrorKind::kUnauthenticated);
  clock_.Advance(10s);
  EXPECT_EQ(login("b@example.com", "wrong"), ErrorKind::kUnauthenticated);
  try {
    services_->accounts.Login(
        {.email = "b@example.com", .password = "long password", .source_address = "198.18.0.3"});
    ADD_FAILURE() << "not limited";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kRateLimited);
    EXPECT_EQ(e.retry_after_seconds(), 50);  // the first failure leaves the window in 50 s
  }
  clock_.Advance(51s);  // one failure left in the window: allowed again
  EXPECT_NO_THROW(services_->accounts.Login(
      {.email = "b@example.com", .password = "long password", .source_address = "198.18.0.3"}));
  // Per address: three failures for different emails from one address block a fourth email.
  for (const char* email : {"x@example.com", "y@example.com", "z@example.com"}) {
    EXPECT_EQ(login(email, "wrong", "198.18.0.9"), ErrorKind::kUnauthenticated);
  }
  EXPECT_EQ(login("b@example.com", "long password", "198.18.0.9"), ErrorKind::kRateLimited);
}

TEST_F(ServicesTest, MeetingsArePlacedOnTheLeastLoadedNodeAndKeepItsLoadTrue) {
  services_->node_store.Register({"node-b", "ws://198.18.0.2/ws", "198.18.0.2:40000"});
  services_->node_store.Register({"node-a", "ws://198.18.0.1/ws", "198.18.0.1:40000"});
  Caller host = SignUpAndLogin("host@example.com");
  Caller guest = SignUpAndLogin("guest@example.com");
  MeetingView first = services_->meetings.Create(host, {.title = "one"});
  ASSERT_TRUE(first.node);
  EXPECT_EQ(first.node->id, "node-a");  // equal load: smallest id
  services_->meetings.Join(host, first.meeting.id, std::nullopt);
  services_->meetings.Join(guest, first.meeting.id, std::nullopt);
  services_->meetings.Join(guest, first.meeting.id, std::nullopt);  // no double count
  EXPECT_EQ(services_->node_store.Find(*db_, "node-a")->load_participants, 2);
  MeetingView second = services_->meetings.Create(host, {.title = "two"});
  EXPECT_EQ(second.node->id, "node-b");
  services_->meetings.Leave(guest, first.meeting.id);
  EXPECT_EQ(services_->node_store.Find(*db_, "node-a")->load_participants, 1);
  services_->meetings.End(host, first.meeting.id);
  EXPECT_EQ(services_->node_store.Find(*db_, "node-a")->load_participants, 0);
}

TEST_F(ServicesTest, FirstRecordingRequestQueuesOneRecorderJob) {
  Caller host = SignUpAndLogin("rec@example.com");
  MeetingView meeting = services_->meetings.Create(host, {});
  EXPECT_TRUE(services_->meetings.Record(host, meeting.meeting.id).started);
  EXPECT_FALSE(services_->meetings.Record(host, meeting.meeting.id).started);
  std::vector<storage::Job> jobs = services_->job_store.ClaimDue(10);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].kind, "recording.start");
  EXPECT_NE(jobs[0].payload.find(meeting.meeting.id), std::string::npos);
}

TEST_F(ServicesTest, ScopesAndRolesBound) {
  Caller user = SignUpAndLogin("u@example.com");
  CreatedApiKey read = services_->api_keys.Create(user, {.name = "r"});
  Caller by_key = services_->authenticator.Authenticate("Bearer " + read.key);
  EXPECT_EQ(KindOf([&] { services_->meetings.Create(by_key, {}); }), ErrorKind::kForbidden);
  EXPECT_EQ(KindOf([&] {
              services_->api_keys.Create(by_key,
                                         {.name = "w", .scope = storage::ApiKeyScope::kWrite});
            }),
            ErrorKind::kForbidden);
  EXPECT_EQ(KindOf([&] {
              services_->accounts.SignUp({.email = "evil@example.com",
                                          .password = "long password",
                                          .role = storage::Role::kAdmin},
                                         &user);
            }),
            ErrorKind::kForbidden);
  EXPECT_EQ(AccountService::EmailProblem("a@b"),
            "the domain after @ must be a dotted name such as example.com");
  EXPECT_EQ(AccountService::EmailProblem("a@example.com"), "");
}

TEST_F(ServicesTest, SignallingJoinAllocatesMediaOnceAndRollsBackWhenTheDataplaneRefuses) {
  services_->node_store.Register({.id = "n", .signalling_url = "u", .media_address = "a:1"});
  Caller alice = SignUpAndLogin("alice@example.com");
  const std::string id = services_->meetings.Create(alice, {.title = "t"}).meeting.id;

  // The dataplane refuses: nothing is recorded.
  EXPECT_THROW(services_->signalling.Join(alice, id, std::nullopt, false, true,
                                          [](const MeetingView&, const storage::ParticipantMedia&) {
                                            throw std::runtime_error("refused");
                                          }),
               std::runtime_error);
  EXPECT_TRUE(services_->signalling.Users(id).empty());

  int programmed = 0;
  auto program = [&programmed](const MeetingView& view, const storage::ParticipantMedia& p) {
    ++programmed;
    EXPECT_EQ(view.node->id, "n");
    EXPECT_TRUE(p.media);
  };
  SignallingJoin first = services_->signalling.Join(alice, id, "Alice", false, true, program);
  ASSERT_TRUE(first.self.media);
  const storage::MediaAllocation& media = *first.self.media;
  EXPECT_NE(media.audio_ssrc, 0u);
  EXPECT_NE(media.audio_ssrc, media.video_ssrc);
  EXPECT_EQ(media.srtp_suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(media.srtp_rx_key.size(), 40u);  // base64 of 30 bytes: master key + salt
  EXPECT_NE(media.srtp_rx_key, media.srtp_tx_key);
  EXPECT_EQ(first.self.role, "host");
  // Joining again resumes the participation: same media, the dataplane is not asked again.
  SignallingJoin again = services_->signalling.Join(alice, id, "Alice", false, true, program);
  EXPECT_EQ(programmed, 1);
  EXPECT_EQ(again.self.media->audio_ssrc, media.audio_ssrc);
  EXPECT_EQ(again.users.size(), 1u);
}

TEST_F(ServicesTest, VideoFeedsNameOpenPublishersOnly) {
  services_->node_store.Register({.id = "n", .signalling_url = "u", .media_address = "a:1"});
  Caller alice = SignUpAndLogin("alice@example.com");
  Caller bob = SignUpAndLogin("bob@example.com");
  const std::string id = services_->meetings.Create(alice, {.title = "t"}).meeting.id;
  auto a = services_->signalling.Join(alice, id, std::nullopt, false, false, nullptr).self;
  auto b = services_->signalling.Join(bob, id, std::nullopt, false, false, nullptr).self;
  EXPECT_TRUE(b.media->srtp_suite.empty());  // plain RTP asked for

  auto change = [&](std::vector<std::int64_t> add, std::vector<std::int64_t> remove) {
    return services_->signalling.ChangeFeeds(
        alice, id, {.remove = std::move(remove), .add = std::move(add), .bitrate_bps = 1}, nullptr);
  };
  EXPECT_EQ(KindOf([&] { change({a.participation_id}, {}); }), ErrorKind::kUnprocessable);
  EXPECT_EQ(KindOf([&] { change({9999}, {}); }), ErrorKind::kUnprocessable);
  EXPECT_EQ(change({b.participation_id}, {}).size(), 1u);
  EXPECT_TRUE(change({}, {b.participation_id}).empty());
  // Bob leaves: he can no longer be subscribed to.
  ASSERT_TRUE(services_->signalling.Leave(bob, id));
  EXPECT_EQ(KindOf([&] { change({b.participation_id}, {}); }), ErrorKind::kUnprocessable);
  EXPECT_FALSE(services_->signalling.Leave(bob, id));
}

}  // namespace
}  // namespace mgw::service
