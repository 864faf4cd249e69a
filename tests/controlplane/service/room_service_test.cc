// RoomService on a real SQLite file with a manual clock: joining conferences by alias and PIN
// (roles, the trailing '#', guests waiting for a host, participant_limit), the wrong-PIN lockout
// with its growing backoff, the meeting's life with the conference's link, and the status API's
// view. The signalling around it runs end to end in rooms_integration_test.
#include "mgw/service/room_service.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "mgw/service/service_error.h"
#include "mgw/service/services.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/sqlite_database.h"
#include "temp_dir.h"

namespace mgw::service {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class RoomServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = storage::OpenDatabase(dir_.File("mgw.db"));
    storage::MigrateToLatest(*db_, clock_);
    ServiceOptions options;
    options.rooms.lockout = {.max_failures = 3, .base_backoff = 30s, .max_backoff = 100s};
    services_ = std::make_unique<Services>(*db_, clock_, options);
    services_->rooms.SetRefusalHook(
        [this](std::string_view reason) { refusals_.emplace_back(reason); });
    services_->node_store.Register(
        {.id = "node-a", .signalling_url = "ws://a/signalling", .media_address = "127.0.0.1:1"});
  }

  static Caller Admin() {
    return Caller{.account_id = 1,
                  .email = "admin",
                  .role = storage::Role::kAdmin,
                  .scope = storage::ApiKeyScope::kAdmin};
  }

  Conference Create(json::object fields) { return services_->conferences.Create(Admin(), fields); }

  // The problem type Admit refuses with, or "" when it admits.
  std::string AdmitType(std::string_view alias, std::string_view pin,
                        std::string_view address = "10.0.0.1") {
    try {
      rooms().Admit(alias, pin, address);
      return "";
    } catch (const ServiceError& e) {
      last_retry_after_ = e.retry_after_seconds();
      return e.type();
    }
  }

  std::optional<SignallingJoin> Join(const RoomAdmission& admission, const std::string& name) {
    return rooms().Join(admission, name, false, nullptr);
  }

  RoomService& rooms() { return services_->rooms; }

  mgw::testing::TempDir dir_;
  storage::ManualClock clock_{storage::FromUnixMillis(1'900'000'000'000)};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Services> services_;
  std::vector<std::string> refusals_;
  std::optional<std::int64_t> last_retry_after_;
};

TEST_F(RoomServiceTest, PinsGiveRolesOnAnyAliasAndOneMeetingRunsTheConference) {
  Conference conference = Create(
      {{"name", "hearing"},
       {"pin", "1234#"},
       {"guest_pin", "567890#"},
       {"allow_guests", true},
       {"aliases", json::array{json::object{{"alias", "meet42"}}, json::object{{"alias", "42"}}}}});
  RoomAdmission host = rooms().Admit("meet42", "1234", "10.0.0.1");
  EXPECT_EQ(host.role, "host");
  EXPECT_FALSE(host.waits_for_host);
  EXPECT_EQ(host.conference_id, conference.id);
  // The same meeting through the other alias, the '#' given or not.
  RoomAdmission guest = rooms().Admit("42", "567890#", "10.0.0.2");
  EXPECT_EQ(guest.role, "guest");
  EXPECT_EQ(guest.meeting_id, host.meeting_id);
  EXPECT_EQ(rooms().Admit("42", "1234#", "10.0.0.3").role, "host");

  // The conference is linked to its meeting, placed on the node.
  EXPECT_EQ(services_->conferences.Find(Admin(), conference.id)->meeting_id, host.meeting_id);
  std::optional<storage::Meeting> meeting = services_->meeting_store.Find(host.meeting_id);
  ASSERT_TRUE(meeting);
  EXPECT_EQ(meeting->node_id, "node-a");
  EXPECT_FALSE(meeting->host_account_id);

  EXPECT_EQ(AdmitType("nope", "1234"), problem::kNotFound);
  EXPECT_EQ(AdmitType("meet42", ""), "/problems/pin-required");
  EXPECT_EQ(AdmitType("meet42", "12345"), "/problems/wrong-pin");
  // Digits only: a PIN is not a prefix match.
  EXPECT_FALSE(RoomService::PinMatches("1234#", "123"));
  EXPECT_TRUE(RoomService::PinMatches("1234", "1234#"));
  EXPECT_FALSE(RoomService::PinMatches("", ""));
}

TEST_F(RoomServiceTest, WithoutPinsEveryoneIsHostAndAllowGuestsWithoutGuestPinWaits) {
  Create({{"name", "open"}, {"aliases", json::array{json::object{{"alias", "open"}}}}});
  EXPECT_EQ(rooms().Admit("open", "", "10.0.0.1").role, "host");

  Create({{"name", "lobby"},
          {"pin", "4321"},
          {"allow_guests", true},
          {"aliases", json::array{json::object{{"alias", "lobby"}}}}});
  RoomAdmission guest = rooms().Admit("lobby", "", "10.0.0.2");
  EXPECT_EQ(guest.role, "guest");
  EXPECT_TRUE(guest.waits_for_host);
  // No host yet: the guest waits and nothing is opened.
  EXPECT_FALSE(Join(guest, "Guest"));
  EXPECT_EQ(services_->signalling.Users(guest.meeting_id).size(), 0u);

  RoomAdmission host = rooms().Admit("lobby", "4321", "10.0.0.1");
  std::optional<SignallingJoin> hosted = Join(host, "Host");
  ASSERT_TRUE(hosted);
  EXPECT_EQ(hosted->self.role, "host");
  EXPECT_FALSE(hosted->self.account_id);
  ASSERT_TRUE(hosted->self.media);
  std::optional<SignallingJoin> joined = Join(guest, "Guest");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->self.role, "guest");
  EXPECT_EQ(joined->users.size(), 2u);
}

TEST_F(RoomServiceTest, ParticipantLimitRefusesTheOneTooMany) {
  Create({{"name", "small"},
          {"participant_limit", 2},
          {"aliases", json::array{json::object{{"alias", "small"}}}}});
  RoomAdmission a = rooms().Admit("small", "", "10.0.0.1");
  ASSERT_TRUE(Join(a, "A"));
  ASSERT_TRUE(Join(rooms().Admit("small", "", "10.0.0.2"), "B"));
  try {
    Join(rooms().Admit("small", "", "10.0.0.3"), "C");
    ADD_FAILURE() << "a third participant joined";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.type(), "/problems/participant-limit");
    EXPECT_EQ(e.kind(), ErrorKind::kConflict);
  }
  EXPECT_EQ(services_->signalling.Users(a.meeting_id).size(), 2u);
}

TEST_F(RoomServiceTest, WrongPinsLockTheSourceOutWithGrowingBackoff) {
  Create({{"name", "locked"},
          {"pin", "1111"},
          {"aliases", json::array{json::object{{"alias", "locked"}}}}});
  // Two wrong PINs, then the right one resets the count.
  EXPECT_EQ(AdmitType("locked", "0000"), "/problems/wrong-pin");
  EXPECT_EQ(AdmitType("locked", "0000"), "/problems/wrong-pin");
  EXPECT_EQ(AdmitType("locked", "1111"), "");
  EXPECT_EQ(AdmitType("locked", "0000"), "/problems/wrong-pin");
  EXPECT_EQ(AdmitType("locked", "0000"), "/problems/wrong-pin");
  EXPECT_FALSE(last_retry_after_);
  // The third in a row locks the source out for the base backoff, even with the right PIN.
  EXPECT_EQ(AdmitType("locked", "0000"), "/problems/wrong-pin");
  EXPECT_EQ(last_retry_after_, 30);
  EXPECT_EQ(AdmitType("locked", "1111"), "/problems/pin-locked-out");
  EXPECT_EQ(last_retry_after_, 30);
  clock_.Advance(10s);
  EXPECT_EQ(AdmitType("locked", "1111"), "/problems/pin-locked-out");
  EXPECT_EQ(last_retry_after_, 20);
  // Another address is not locked out.
  EXPECT_EQ(AdmitType("locked", "1111", "10.0.0.9"), "");

  // Past the backoff, three more wrong PINs lock it out twice as long; then up to the maximum.
  clock_.Advance(20s);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(AdmitType("locked", "0000"), "/problems/wrong-pin");
  EXPECT_EQ(last_retry_after_, 60);
  clock_.Advance(59s);
  EXPECT_EQ(AdmitType("locked", "1111"), "/problems/pin-locked-out");
  clock_.Advance(1s);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(AdmitType("locked", "0000"), "/problems/wrong-pin");
  EXPECT_EQ(last_retry_after_, 100);
  clock_.Advance(100s);
  EXPECT_EQ(AdmitType("locked", "1111"), "");

  // Every refusal reached the metric's hook.
  EXPECT_EQ(std::count(refusals_.begin(), refusals_.end(), "wrong_pin"), 11);
  EXPECT_EQ(std::count(refusals_.begin(), refusals_.end(), "locked_out"), 3);
}

TEST_F(RoomServiceTest, TheLastOneOutEndsTheMeetingAndTheNextJoinStartsAnother) {
  Conference conference =
      Create({{"name", "cycle"}, {"aliases", json::array{json::object{{"alias", "cycle"}}}}});
  RoomAdmission first = rooms().Admit("cycle", "", "10.0.0.1");
  std::optional<SignallingJoin> a = Join(first, "A");
  std::optional<SignallingJoin> b = Join(rooms().Admit("cycle", "", "10.0.0.2"), "B");
  ASSERT_TRUE(a && b);
  std::optional<RoomLeave> left = rooms().Leave(first.meeting_id, a->self.participation_id);
  ASSERT_TRUE(left);
  EXPECT_FALSE(left->meeting_ended);
  EXPECT_FALSE(rooms().Leave(first.meeting_id, a->self.participation_id));  // once
  left = rooms().Leave(first.meeting_id, b->self.participation_id);
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->meeting_ended);
  EXPECT_EQ(services_->meeting_store.Find(first.meeting_id)->state, storage::MeetingState::kEnded);
  EXPECT_FALSE(services_->conferences.Find(Admin(), conference.id)->meeting_id);

  // A socket admitted to the old meeting cannot join it any more.
  try {
    Join(first, "Late");
    ADD_FAILURE() << "joined an ended meeting";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.type(), problem::kMeetingEnded);
  }
  RoomAdmission next = rooms().Admit("cycle", "", "10.0.0.1");
  EXPECT_NE(next.meeting_id, first.meeting_id);
}

TEST_F(RoomServiceTest, StatusShowsRunningConferencesAndTheirParticipants) {
  Create({{"name", "status"},
          {"pin", "2468"},
          {"guest_pin", "1357"},
          {"allow_guests", true},
          {"tag", "court-7"},
          {"aliases", json::array{json::object{{"alias", "status"}}}}});
  EXPECT_TRUE(rooms().ConferenceStatuses(Admin(), {}).empty());

  RoomAdmission guest = rooms().Admit("status", "1357", "10.0.0.2");
  ASSERT_TRUE(Join(guest, "Guest G"));
  std::vector<ConferenceStatus> conferences = rooms().ConferenceStatuses(Admin(), {});
  ASSERT_EQ(conferences.size(), 1u);
  json::object status = ConferenceStatusToPexipJson(conferences[0]);
  EXPECT_EQ(status.at("id").as_string(), guest.meeting_id);
  EXPECT_EQ(status.at("name").as_string(), "status");
  EXPECT_EQ(status.at("tag").as_string(), "court-7");
  EXPECT_EQ(status.at("service_type").as_string(), "conference");
  EXPECT_FALSE(status.at("is_started").as_bool());  // no host yet
  EXPECT_EQ(status.at("start_time").as_string(), "2030-03-17T17:46:40.000000");

  clock_.Advance(5s);
  ASSERT_TRUE(Join(rooms().Admit("status", "2468", "10.0.0.1"), "Host H"));
  clock_.Advance(7s);
  EXPECT_TRUE(ConferenceStatusToPexipJson(rooms().ConferenceStatuses(Admin(), guest.meeting_id)[0])
                  .at("is_started")
                  .as_bool());
  std::vector<ParticipantStatus> participants = rooms().ParticipantStatuses(Admin(), {});
  ASSERT_EQ(participants.size(), 2u);
  json::object g = ParticipantStatusToPexipJson(participants[0]);
  json::object h = ParticipantStatusToPexipJson(participants[1]);
  EXPECT_EQ(g.at("display_name").as_string(), "Guest G");
  EXPECT_EQ(g.at("role").as_string(), "guest");
  EXPECT_EQ(g.at("duration").as_int64(), 12);
  EXPECT_EQ(h.at("role").as_string(), "chair");
  EXPECT_EQ(h.at("duration").as_int64(), 7);
  EXPECT_EQ(h.at("conference").as_string(), "status");
  EXPECT_EQ(h.at("protocol").as_string(), "WebRTC");
  EXPECT_EQ(h.at("resource_uri").as_string(),
            fmt::format("/api/admin/status/v1/participant/{}/", h.at("id").as_string().c_str()));

  // An administrator's read: a user is refused.
  Caller user{.account_id = 2,
              .email = "u",
              .role = storage::Role::kUser,
              .scope = storage::ApiKeyScope::kAdmin};
  EXPECT_THROW(rooms().ParticipantStatuses(user, {}), ServiceError);
  EXPECT_THROW(rooms().ConferenceStatuses(user, {}), ServiceError);
}

}  // namespace
}  // namespace mgw::service
