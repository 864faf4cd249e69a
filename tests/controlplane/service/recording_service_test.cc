// RecordingService on a real SQLite file with a manual clock and the real job runner: the
// recorder secret, claims (with the signalling token they carry, revoked at the end), a
// recording whose meeting ended before any recorder came, and what a completion enqueues: the
// webhook, one email per recipient with the link, and the meeting's deletion, which the runner
// then carries out.
#include "mgw/service/recording_service.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>

#include "mgw/service/job_runner.h"
#include "mgw/service/notifications.h"
#include "mgw/service/service_error.h"
#include "mgw/service/services.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/sqlite_database.h"
#include "temp_dir.h"

namespace mgw::service {
namespace {

using namespace std::chrono_literals;

class RecordingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = storage::OpenDatabase(dir_.File("mgw.db"));
    storage::MigrateToLatest(*db_, clock_);
    ServiceOptions options;
    options.recordings = {.recorder_secret = Secret("recorder-secret-123"),
                          .lease = 30s,
                          .webhook_url = "http://198.18.0.10/hooks"};
    services_ = std::make_unique<Services>(*db_, clock_, options);
    host_ = SignUpAndLogin("host@example.com");
    guest_ = SignUpAndLogin("guest@example.com");
  }

  Caller SignUpAndLogin(const std::string& email) {
    services_->accounts.SignUp({.email = email, .password = "long password"}, nullptr);
    LoginResult login = services_->accounts.Login(
        {.email = email, .password = "long password", .source_address = "198.18.0.1"});
    return services_->authenticator.Authenticate("Bearer " + login.token);
  }

  std::string RecordedMeeting() {
    const std::string id = services_->meetings.Create(host_, {.title = "t"}).meeting.id;
    services_->meetings.Join(guest_, id, std::nullopt);
    services_->meetings.Record(host_, id);
    services_->meetings.Record(guest_, id);
    return id;
  }

  std::vector<storage::Job> Jobs(std::string_view kind) {
    return services_->job_store.List({.kind = std::string(kind)});
  }

  mgw::testing::TempDir dir_;
  storage::ManualClock clock_{storage::FromUnixMillis(1'900'000'000'000)};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Services> services_;
  Caller host_;
  Caller guest_;
};

TEST_F(RecordingServiceTest, OnlyTheRecorderSecretOpensTheRecorderRoutes) {
  RecordingService& r = services_->recordings;
  EXPECT_NO_THROW(r.RequireRecorder("Bearer recorder-secret-123"));
  for (std::optional<std::string_view> bad :
       {std::optional<std::string_view>(), std::optional<std::string_view>("recorder-secret-123"),
        std::optional<std::string_view>("Bearer recorder-secret-124"),
        std::optional<std::string_view>("Bearer recorder-secret-12")}) {
    try {
      r.RequireRecorder(bad);
      ADD_FAILURE() << "accepted " << bad.value_or("(none)");
    } catch (const ServiceError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUnauthenticated);
    }
  }
  // Without a configured secret nothing gets in.
  r.SetOptions({});
  EXPECT_THROW(r.RequireRecorder("Bearer "), ServiceError);
}

TEST_F(RecordingServiceTest, CompletionTellsEveryoneAndTheMeetingIsDeleted) {
  const std::string meeting = RecordedMeeting();
  RecordingService& r = services_->recordings;
  std::optional<RecordingClaim> claim = r.Claim("rec-1");
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->recording.meeting_id, meeting);
  EXPECT_FALSE(claim->resumed);
  EXPECT_TRUE(claim->meeting_active);
  EXPECT_FALSE(r.Claim("rec-2"));
  // The claim's token authenticates the recorder account, an administrator (RECORD_JOIN).
  const Caller recorder = services_->authenticator.Authenticate("Bearer " + claim->token);
  EXPECT_EQ(recorder.email, kRecorderAccountEmail);
  EXPECT_TRUE(recorder.IsAdmin());

  r.Report(claim->recording.id, claim->recording.claims, storage::RecordingState::kRecording,
           "f.mkv");
  EXPECT_THROW(r.Report(claim->recording.id, claim->recording.claims,
                        storage::RecordingState::kDone, std::nullopt),
               ServiceError);
  storage::RecordingResult result{.location = "s3://b/f.mkv",
                                  .link = "https://s3.example/b/f.mkv?X-Amz-Signature=abc",
                                  .link_expires_at = clock_.Now() + 24h,
                                  .sha256 = std::string(64, 'f'),
                                  .size_bytes = 10,
                                  .duration_ms = 6000,
                                  .manifest = "{}"};
  // Two files (a participant joined after the first one's header): both links go out.
  boost::json::array segments;
  for (const char* name : {"f.mkv", "g.mkv"}) {
    segments.push_back({{"file_name", name},
                        {"location", std::string("s3://b/") + name},
                        {"link", std::string("https://s3.example/b/") + name + "?sig=" + name},
                        {"sha256", std::string(64, 'f')},
                        {"size_bytes", 10},
                        {"duration_ms", 3000}});
  }
  result.segments = boost::json::serialize(segments);
  try {
    r.Complete(claim->recording.id, claim->recording.claims + 1, result);
    ADD_FAILURE() << "a stale claim completed";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
    EXPECT_EQ(e.type(), "/problems/lease-lost");
  }
  const storage::RecordingRow done =
      r.Complete(claim->recording.id, claim->recording.claims, result);
  EXPECT_EQ(done.state, storage::RecordingState::kDone);
  EXPECT_THROW(services_->authenticator.Authenticate("Bearer " + claim->token), ServiceError);

  const std::vector<storage::Job> hooks = Jobs(kWebhookJobKind);
  ASSERT_EQ(hooks.size(), 1u);
  const boost::json::value hook = boost::json::parse(hooks[0].payload);
  EXPECT_EQ(hook.at("url").as_string(), "http://198.18.0.10/hooks");
  EXPECT_EQ(hook.at("event").as_string(), "recording.ready");
  EXPECT_EQ(hook.at("body").at("link").as_string(), result.link);
  EXPECT_EQ(hook.at("body").at("segments"), segments);
  const std::vector<storage::Job> emails = Jobs(kEmailJobKind);
  ASSERT_EQ(emails.size(), 2u);
  for (const storage::Job& job : emails) {
    EXPECT_NE(job.payload.find("X-Amz-Signature=abc"), std::string::npos) << job.payload;
    EXPECT_NE(job.payload.find("?sig=f.mkv"), std::string::npos) << job.payload;
    EXPECT_NE(job.payload.find("?sig=g.mkv"), std::string::npos) << job.payload;
  }
  EXPECT_EQ(done.segments, result.segments);

  // The runner carries out the deletion (the notification kinds have no handler here).
  JobRunner runner(services_->job_store);
  RegisterRecordingHandlers(runner, r);
  runner.RunDue();
  EXPECT_FALSE(services_->meeting_store.Find(meeting));
  // The row stays; only administrators read it.
  EXPECT_EQ(services_->recording_store.Find(done.id)->state, storage::RecordingState::kDone);
  EXPECT_THROW(r.Get(host_, done.id), ServiceError);
}

TEST_F(RecordingServiceTest, AMeetingThatEndedBeforeARecorderCameIsFailedNotHandedOut) {
  const std::string meeting = RecordedMeeting();
  // "recording.start" creates the row (a claim would also create it for an active meeting).
  JobRunner runner(services_->job_store);
  RegisterRecordingHandlers(runner, services_->recordings);
  EXPECT_EQ(runner.RunDue(), 1u);
  services_->meetings.End(host_, meeting);
  EXPECT_FALSE(services_->recordings.Claim("rec-1"));
  const std::vector<storage::RecordingRow> rows = services_->recording_store.List(10, std::nullopt);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, storage::RecordingState::kFailed);
  EXPECT_EQ(rows[0].error, "the meeting ended before the recorder joined");
}

TEST_F(RecordingServiceTest, AnExpiredLeaseHandsTheRecordingToTheNextRecorder) {
  RecordedMeeting();
  RecordingService& r = services_->recordings;
  const RecordingClaim first = *r.Claim("rec-1");
  r.Report(first.recording.id, first.recording.claims, storage::RecordingState::kRecording,
           "m_1.mkv");
  clock_.Advance(31s);
  const RecordingClaim second = *r.Claim("rec-2");
  EXPECT_EQ(second.recording.id, first.recording.id);
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(second.recording.file_name, "m_1.mkv");
  EXPECT_THROW(r.Fail(first.recording.id, first.recording.claims, "late"), ServiceError);
  EXPECT_EQ(r.Fail(second.recording.id, second.recording.claims, "disk full").state,
            storage::RecordingState::kFailed);
}

}  // namespace
}  // namespace mgw::service
