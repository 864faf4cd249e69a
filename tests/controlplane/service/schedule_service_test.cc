// Scheduled conferences end to end inside one process: the service on a real SQLite file, a
// manual clock, the real JobRunner with the real notification handlers, and webhooks delivered
// over HTTP to a real receiver. RunDue() is the only thing that makes jobs run, so every step is
// deterministic.
#include "mgw/service/schedule_service.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <mutex>
#include <regex>
#include <set>

#include "mgw/common/http_server.h"
#include "mgw/service/job_runner.h"
#include "mgw/service/notifications.h"
#include "mgw/service/service_error.h"
#include "mgw/service/services.h"
#include "mgw/storage/migrations.h"
#include "temp_dir.h"

namespace mgw::service {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// Records every POST it receives; answers 204.
class WebhookReceiver {
 public:
  WebhookReceiver() : server_({}, [this](const http::Request& request) { return Take(request); }) {
    server_.Start();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + "/hooks/schedule";
  }
  std::vector<json::object> Received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  http::Response Take(const http::Request& request) {
    std::lock_guard lock(mutex_);
    received_.push_back(json::parse(request.body).as_object());
    return {204, "application/json", {}, ""};
  }

  std::mutex mutex_;
  std::vector<json::object> received_;
  http::Server server_;
};

class ScheduleServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = storage::OpenDatabase(dir_.File("mgw.db"));
    storage::MigrateToLatest(*db_, clock_);
    ServiceOptions options;
    options.schedules = {.alias_range = {.first = 1000000, .last = 1000001},
                         .alias_prefix = "vh",
                         .alias_domain = "example.org",
                         .alias_quarantine = 1h,
                         .join_address = "meet.example.org",
                         .bandwidth_kbps = 1024,
                         .invitation_webhook_url = receiver_.url(),
                         .invitation_email = false,
                         .cleanup_interval = 24h};
    services_ = std::make_unique<Services>(*db_, clock_, options);
    runner_ = std::make_unique<JobRunner>(services_->job_store);
    RegisterNotificationHandlers(*runner_, {});
    services_->schedules.RegisterJobs(*runner_);
    services_->accounts.SignUp({.email = "clerk@example.com", .password = "long password"},
                               nullptr);
    LoginResult login = services_->accounts.Login({.email = "clerk@example.com",
                                                   .password = "long password",
                                                   .source_address = "198.18.0.1"});
    clerk_ = services_->authenticator.Authenticate("Bearer " + login.token);
  }

  void TearDown() override { runner_->Stop(); }

  // Runs jobs until none is due (jobs enqueued by jobs included).
  void RunJobs() {
    for (int round = 0; round < 20; ++round) {
      if (runner_->RunDue() == 0) return;
    }
    ADD_FAILURE() << "jobs keep coming";
  }

  ScheduleView CreateHearing() {
    return services_->schedules.Create(clerk_,
                                       {.title = "Hearing 17",
                                        .starts_at = clock_.Now() + 24h,
                                        .ends_at = std::nullopt,
                                        .duration_seconds = 3600,
                                        .participants = {{.email = "judge@example.com",
                                                          .name = "Judge Dredd",
                                                          .role = storage::ScheduleRole::kHost},
                                                         {.email = "witness@example.com"}}});
  }

  // The webhooks received since `from`, by event and recipient.
  std::multiset<std::string> Deliveries(std::size_t from) {
    std::multiset<std::string> out;
    std::vector<json::object> received = receiver_.Received();
    for (std::size_t i = from; i < received.size(); ++i) {
      out.insert(std::string(received[i].at("event").as_string()) + " " +
                 std::string(received[i].at("participant").at("email").as_string()));
    }
    return out;
  }

  std::int64_t CountJobs(std::string_view kind, storage::JobState state) {
    return services_->job_store.Count({.state = state, .kind = std::string(kind)});
  }

  mgw::testing::TempDir dir_;
  storage::ManualClock clock_{storage::FromUnixMillis(1'900'000'000'000)};
  WebhookReceiver receiver_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<JobRunner> runner_;
  Caller clerk_;
};

TEST(JoinLinkTest, HasEveryParameterEncoded) {
  EXPECT_EQ(
      JoinLink({.address = "meet.example.org",
                .alias = "vh1234567.example.org",
                .name = "Anna Maria & Co",
                .bandwidth_kbps = 576,
                .pin = "0042",
                .role = "guest"}),
      "https://meet.example.org/webapp/?conference=vh1234567.example.org&name=Anna%20Maria%20%26"
      "%20Co&bw=576&pin=0042&join=1&role=guest");
}

TEST(PinPairTest, TwoDifferentFourDigitPins) {
  const std::regex four_digits("[0-9]{4}");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const PinPair pins = GeneratePinPair();
    EXPECT_TRUE(std::regex_match(pins.host, four_digits)) << pins.host;
    EXPECT_TRUE(std::regex_match(pins.guest, four_digits)) << pins.guest;
    EXPECT_NE(pins.host, pins.guest);
    seen.insert(pins.host);
  }
  EXPECT_GT(seen.size(), 150u);  // random: 200 draws from 10,000 rarely collide much
}

TEST_F(ScheduleServiceTest, WholeLifecycle) {
  // create: pending, with its creation job queued in the same transaction
  const ScheduleView created = CreateHearing();
  const std::int64_t id = created.schedule.id;
  EXPECT_EQ(created.schedule.status, storage::ScheduleStatus::kPending);
  EXPECT_TRUE(created.join_links.empty());
  EXPECT_EQ(CountJobs(kScheduleCreateJobKind, storage::JobState::kPending), 1);

  // the job: active, a conference with three aliases and two different 4-digit PINs
  RunJobs();
  const ScheduleView active = services_->schedules.Get(clerk_, id);
  ASSERT_EQ(active.schedule.status, storage::ScheduleStatus::kActive);
  EXPECT_EQ(active.schedule.alias_number, 1000000);
  EXPECT_EQ(active.aliases,
            (std::vector<std::string>{"vh1000000", "vh1000000.example.org", "1000000"}));
  std::optional<Conference> conference =
      services_->conferences.FindByName(*db_, active.schedule.conference_name);
  ASSERT_TRUE(conference);
  std::set<std::string> aliases;
  for (const ConferenceAlias& alias : conference->aliases) aliases.insert(alias.alias);
  EXPECT_EQ(aliases, (std::set<std::string>{"vh1000000", "vh1000000.example.org", "1000000"}));
  const std::regex four_digits("[0-9]{4}");
  EXPECT_TRUE(std::regex_match(conference->pin, four_digits));
  EXPECT_TRUE(std::regex_match(conference->guest_pin, four_digits));
  EXPECT_NE(conference->pin, conference->guest_pin);
  EXPECT_EQ(active.schedule.host_pin, conference->pin);
  EXPECT_TRUE(conference->allow_guests);

  // one invitation per participant, delivered once, with the link for the participant's role
  EXPECT_EQ(Deliveries(0), (std::multiset<std::string>{"schedule.invitation judge@example.com",
                                                       "schedule.invitation witness@example.com"}));
  for (const json::object& hook : receiver_.Received()) {
    const bool host = hook.at("participant").at("role").as_string() == "host";
    const std::string pin = host ? conference->pin : conference->guest_pin;
    EXPECT_EQ(hook.at("join_link").as_string(),
              "https://meet.example.org/webapp/?conference=vh1000000.example.org&name=" +
                  std::string(host ? "Judge%20Dredd" : "witness") + "&bw=1024&pin=" + pin +
                  "&join=1&role=" + (host ? "host" : "guest"));
  }
  for (const storage::ScheduleParticipant& p : active.schedule.participants) {
    EXPECT_TRUE(p.invitation_sent);
    EXPECT_EQ(p.invitation_sent_at, clock_.Now());
  }
  RunJobs();
  clock_.Advance(1h);
  RunJobs();
  EXPECT_EQ(receiver_.Received().size(), 2u);  // nothing goes out twice

  // a changed email: that participant only, invited at the new address
  std::size_t seen = receiver_.Received().size();
  const std::int64_t witness = active.schedule.participants[1].id;
  services_->schedules.Update(clerk_, id,
                              {.participants = {{.id = witness, .email = "w2@example.com"}}});
  RunJobs();
  EXPECT_EQ(Deliveries(seen), (std::multiset<std::string>{"schedule.invitation w2@example.com"}));

  // a new time: everyone
  seen = receiver_.Received().size();
  const ScheduleView moved =
      services_->schedules.Update(clerk_, id, {.starts_at = clock_.Now() + 48h});
  EXPECT_EQ(moved.schedule.ends_at - moved.schedule.starts_at, 1h);  // the duration is kept
  RunJobs();
  EXPECT_EQ(Deliveries(seen), (std::multiset<std::string>{"schedule.updated judge@example.com",
                                                          "schedule.updated w2@example.com"}));

  // cancel: everyone is told, once
  seen = receiver_.Received().size();
  services_->schedules.Cancel(clerk_, id);
  RunJobs();
  RunJobs();
  EXPECT_EQ(Deliveries(seen), (std::multiset<std::string>{"schedule.cancelled judge@example.com",
                                                          "schedule.cancelled w2@example.com"}));
  try {
    services_->schedules.Cancel(clerk_, id);
    ADD_FAILURE() << "cancelled twice";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.type(), problem::kScheduleClosed);
  }

  // cleanup: deletes the conference once, releases the number into quarantine
  services_->schedules.EnsureCleanupScheduled();
  services_->schedules.EnsureCleanupScheduled();  // still one
  EXPECT_EQ(CountJobs(kScheduleCleanupJobKind, storage::JobState::kPending), 1);
  RunJobs();
  storage::Schedule cleaned = *services_->schedule_store.Find(id);
  EXPECT_TRUE(cleaned.conference_deleted);
  const auto deleted_at = cleaned.conference_deleted_at;
  EXPECT_FALSE(services_->conferences.FindByName(*db_, cleaned.conference_name));
  EXPECT_TRUE(services_->alias_numbers.Find(*db_, 1000000)->released_at);
  EXPECT_EQ(CountJobs(kScheduleCleanupJobKind, storage::JobState::kPending), 1);  // the next run
  clock_.Advance(1min);
  services_->schedules.RunCleanup({});  // run it twice: nothing is deleted again
  EXPECT_EQ(services_->schedule_store.Find(id)->conference_deleted_at, deleted_at);
  EXPECT_EQ(CountJobs(kScheduleCleanupJobKind, storage::JobState::kPending), 1);

  // the number is quarantined: the next schedule takes the other one, a third waits
  const ScheduleView second = CreateHearing();
  RunJobs();
  EXPECT_EQ(services_->schedules.Get(clerk_, second.schedule.id).schedule.alias_number, 1000001);
  const ScheduleView third = CreateHearing();
  RunJobs();
  EXPECT_EQ(services_->schedules.Get(clerk_, third.schedule.id).schedule.status,
            storage::ScheduleStatus::kPending);
  // after the quarantine (and the job's backoff) the released number is reused: wrapped round
  clock_.Advance(1h);
  RunJobs();
  const ScheduleView reused = services_->schedules.Get(clerk_, third.schedule.id);
  EXPECT_EQ(reused.schedule.status, storage::ScheduleStatus::kActive);
  EXPECT_EQ(reused.schedule.alias_number, 1000000);
  EXPECT_TRUE(services_->conferences.FindByAlias(*db_, "vh1000000.example.org"));
}

TEST_F(ScheduleServiceTest, ChangesBeforeCreationWaitForItAndANewParticipantIsInvitedAlone) {
  const ScheduleView created = CreateHearing();
  const std::int64_t id = created.schedule.id;
  // Pending: the changes queue no job of their own; the creation sends what is owed then.
  services_->schedules.Update(
      clerk_, id,
      {.starts_at = clock_.Now() + 2h,
       .participants = {{.id = created.schedule.participants[1].id, .email = "w2@example.com"}}});
  EXPECT_EQ(CountJobs(kScheduleNotifyJobKind, storage::JobState::kPending), 0);
  RunJobs();
  EXPECT_EQ(Deliveries(0), (std::multiset<std::string>{"schedule.invitation judge@example.com",
                                                       "schedule.invitation w2@example.com"}));
  const std::size_t seen = receiver_.Received().size();
  const ScheduleView grown = services_->schedules.Update(
      clerk_, id, {.participants = {{.email = "clerk2@example.com", .role = std::nullopt}}});
  ASSERT_EQ(grown.schedule.participants.size(), 3u);
  EXPECT_EQ(grown.schedule.participants[2].role, storage::ScheduleRole::kGuest);
  RunJobs();
  EXPECT_EQ(Deliveries(seen),
            (std::multiset<std::string>{"schedule.invitation clerk2@example.com"}));
  // An email already listed is refused, and nothing changes.
  try {
    services_->schedules.Update(clerk_, id, {.participants = {{.email = "judge@example.com"}}});
    ADD_FAILURE() << "a duplicate email was added";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.field(), "participants");
  }
  EXPECT_EQ(services_->schedule_store.Find(id)->participants.size(), 3u);
}

TEST_F(ScheduleServiceTest, CleanupCompletesWhatEndedAndRunsOnItsSchedule) {
  const std::int64_t id = CreateHearing().schedule.id;
  RunJobs();
  services_->schedules.EnsureCleanupScheduled();
  RunJobs();  // before the end: nothing to clean
  EXPECT_EQ(services_->schedule_store.Find(id)->status, storage::ScheduleStatus::kActive);
  clock_.Advance(25h);  // past the end, and the next run (daily) is due
  RunJobs();
  const storage::Schedule done = *services_->schedule_store.Find(id);
  EXPECT_EQ(done.status, storage::ScheduleStatus::kCompleted);
  EXPECT_TRUE(done.conference_deleted);
  EXPECT_EQ(CountJobs(kScheduleCleanupJobKind, storage::JobState::kPending), 1);
  EXPECT_EQ(CountJobs(kScheduleCleanupJobKind, storage::JobState::kDone), 2);
  try {
    services_->schedules.Update(clerk_, id, {.title = "late"});
    ADD_FAILURE() << "a completed schedule changed";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
  }
}

TEST_F(ScheduleServiceTest, RetryAdoptsTheConferenceACommittedCreationLeft) {
  const ScheduleView created = CreateHearing();
  // As if an earlier attempt had created the conference and not marked the schedule.
  json::array aliases{json::object{{"alias", "vh1000001"}},
                      json::object{{"alias", "vh1000001.example.org"}},
                      json::object{{"alias", "1000001"}}};
  services_->conferences.Create(*db_, json::object{{"name", created.schedule.conference_name},
                                                   {"aliases", aliases},
                                                   {"pin", "1111"},
                                                   {"guest_pin", "2222"},
                                                   {"allow_guests", true}});
  RunJobs();
  const ScheduleView active = services_->schedules.Get(clerk_, created.schedule.id);
  EXPECT_EQ(active.schedule.status, storage::ScheduleStatus::kActive);
  EXPECT_EQ(active.schedule.alias_number, 1000001);
  EXPECT_EQ(active.schedule.host_pin, "1111");
  EXPECT_EQ(active.schedule.guest_pin, "2222");
  EXPECT_EQ(db_->QueryOne("SELECT COUNT(*) FROM conferences")->GetInt64(0), 1);  // no second
  EXPECT_EQ(receiver_.Received().size(), 2u);
}

TEST_F(ScheduleServiceTest, RefusesBadRequestsAndChangesNothing) {
  auto kind_of = [&](const CreateScheduleRequest& request) {
    try {
      services_->schedules.Create(clerk_, request);
    } catch (const ServiceError& e) {
      return e.field().value_or("") + " " + e.type();
    }
    return std::string("accepted");
  };
  const auto start = clock_.Now() + 1h;
  const std::vector<ScheduleParticipantInput> one = {{.email = "a@example.com"}};
  EXPECT_EQ(kind_of({.participants = one}), "starts_at /problems/missing-field");
  EXPECT_EQ(kind_of({.starts_at = start, .participants = one}), "ends_at /problems/missing-field");
  EXPECT_EQ(kind_of({.starts_at = start, .ends_at = start, .participants = one}),
            "ends_at /problems/invalid-field");
  EXPECT_EQ(kind_of({.starts_at = start, .duration_seconds = 0, .participants = one}),
            "duration /problems/invalid-field");
  EXPECT_EQ(kind_of({.starts_at = start, .duration_seconds = 60}),
            "participants /problems/invalid-field");
  EXPECT_EQ(kind_of({.starts_at = start,
                     .duration_seconds = 60,
                     .participants = {{.email = "not an email"}}}),
            "participants /problems/invalid-field");
  EXPECT_EQ(kind_of({.starts_at = start,
                     .duration_seconds = 60,
                     .participants = {{.email = "a@example.com"}, {.email = "a@example.com"}}}),
            "participants /problems/invalid-field");
  EXPECT_EQ(kind_of({.title = std::string(201, 't'),
                     .starts_at = start,
                     .duration_seconds = 60,
                     .participants = one}),
            "title /problems/invalid-field");
  EXPECT_EQ(services_->schedules.List(clerk_, {}).total, 0);
  EXPECT_EQ(CountJobs(kScheduleCreateJobKind, storage::JobState::kPending), 0);
}

}  // namespace
}  // namespace mgw::service
