// The read caches behind the services (Authenticator, MeetingService::Get) on a real SQLite file
// with a manual clock: hits are served without the database, the credential's expiry is checked
// on every hit, and every service write that changes what they hold is seen at once.
#include "mgw/service/read_caches.h"

#include <gtest/gtest.h>

#include <memory>

#include "mgw/service/service_error.h"
#include "mgw/service/services.h"
#include "mgw/storage/migrations.h"
#include "temp_dir.h"

namespace mgw::service {
namespace {

using namespace std::chrono_literals;

class ReadCachesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = storage::OpenDatabase(dir_.File("mgw.db"));
    storage::MigrateToLatest(*db_, clock_);
    ServiceOptions options;
    options.cache = {.entries = 100, .max_age = 1h};  // long: what evicts here is the writes
    services_ = std::make_unique<Services>(*db_, clock_, options);
  }

  LoginResult SignUpAndLogin(const std::string& email, std::int64_t lifetime_s = 3600) {
    services_->accounts.SignUp({.email = email, .password = "long password"}, nullptr);
    return services_->accounts.Login({.email = email,
                                      .password = "long password",
                                      .expires_in_seconds = lifetime_s,
                                      .source_address = "198.18.0.1"});
  }

  std::uint64_t Hits(const storage::ReadCacheStats& stats) { return stats.hits.load(); }

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

TEST_F(ReadCachesTest, ACachedTokenStillExpiresOnTime) {
  LoginResult login = SignUpAndLogin("a@example.com", 120);
  const std::string bearer = "Bearer " + login.token;
  const Caller first = services_->authenticator.Authenticate(bearer);
  const Caller second = services_->authenticator.Authenticate(bearer);
  EXPECT_EQ(second.account_id, first.account_id);
  EXPECT_EQ(second.token_id, login.record.id);
  EXPECT_EQ(Hits(services_->caches.credentials.stats()), 1u);
  // The database row is gone from under the cache (as if read long ago): the hit still answers,
  // and its expiry is checked with the clock.
  db_->Execute("DELETE FROM access_tokens");
  EXPECT_EQ(services_->authenticator.Authenticate(bearer).account_id, first.account_id);
  clock_.Advance(120s);
  EXPECT_EQ(KindOf([&] { services_->authenticator.Authenticate(bearer); }),
            ErrorKind::kUnauthenticated);
}

TEST_F(ReadCachesTest, RevocationsAndDeletionAreSeenAtOnce) {
  LoginResult login = SignUpAndLogin("a@example.com");
  LoginResult other = services_->accounts.Login(
      {.email = "a@example.com", .password = "long password", .source_address = "198.18.0.1"});
  const Caller caller = services_->authenticator.Authenticate("Bearer " + login.token);
  services_->authenticator.Authenticate("Bearer " + other.token);
  services_->authenticator.Authenticate("Bearer " + other.token);
  ASSERT_EQ(Hits(services_->caches.credentials.stats()), 1u);
  services_->accounts.RevokeToken(caller, other.record.id);
  EXPECT_EQ(KindOf([&] { services_->authenticator.Authenticate("Bearer " + other.token); }),
            ErrorKind::kUnauthenticated);

  // An API key, cached, then revoked.
  CreatedApiKey key =
      services_->api_keys.Create(caller, {.name = "k", .scope = storage::ApiKeyScope::kRead});
  EXPECT_EQ(services_->authenticator.Authenticate("Bearer " + key.key).scope,
            storage::ApiKeyScope::kRead);
  EXPECT_EQ(services_->authenticator.Authenticate("Bearer " + key.key).api_key_id, key.record.id);
  services_->api_keys.Revoke(caller, key.record.id);
  EXPECT_EQ(KindOf([&] { services_->authenticator.Authenticate("Bearer " + key.key); }),
            ErrorKind::kUnauthenticated);

  // The account deleted: its cached token goes with it.
  services_->authenticator.Authenticate("Bearer " + login.token);
  services_->accounts.DeleteAccount(caller);
  EXPECT_EQ(KindOf([&] { services_->authenticator.Authenticate("Bearer " + login.token); }),
            ErrorKind::kUnauthenticated);
}

TEST_F(ReadCachesTest, GetShowsEveryChangeToTheMeetingAndItsNode) {
  services_->node_store.Register(
      {.id = "n1", .signalling_url = "http://n1/signalling", .media_address = "198.18.0.9:1"});
  const Caller host =
      services_->authenticator.Authenticate("Bearer " + SignUpAndLogin("host@example.com").token);
  const Caller guest =
      services_->authenticator.Authenticate("Bearer " + SignUpAndLogin("guest@example.com").token);
  const std::string id = services_->meetings.Create(host, {.title = "t"}).meeting.id;
  const auto get = [&] { return services_->meetings.Get(guest, id); };

  get();
  MeetingView view = get();
  EXPECT_EQ(Hits(services_->caches.meetings.stats()), 1u);
  ASSERT_TRUE(view.node);
  EXPECT_EQ(view.node->load_participants, 0);

  services_->meetings.Join(guest, id, std::nullopt);
  view = get();
  EXPECT_EQ(view.meeting.participant_count, 1);
  EXPECT_EQ(view.node->load_participants, 1);
  services_->node_store.Register(
      {.id = "n1", .signalling_url = "http://moved/signalling", .media_address = "198.18.0.9:2"});
  EXPECT_EQ(get().node->media_address, "198.18.0.9:2");
  services_->meetings.Record(guest, id);
  EXPECT_TRUE(get().meeting.recording_requested_at);
  services_->meetings.Leave(guest, id);
  EXPECT_EQ(get().meeting.participant_count, 0);
  services_->meetings.End(host, id);
  EXPECT_EQ(get().meeting.state, storage::MeetingState::kEnded);
  services_->meetings.Delete(host, id);
  EXPECT_EQ(KindOf([&] { get(); }), ErrorKind::kNotFound);

  // A meeting whose host deletes the account loses its host.
  const std::string other = services_->meetings.Create(host, {.title = "t"}).meeting.id;
  EXPECT_EQ(services_->meetings.Get(guest, other).meeting.host_account_id, host.account_id);
  services_->accounts.DeleteAccount(host);
  EXPECT_FALSE(services_->meetings.Get(guest, other).meeting.host_account_id);
}

TEST_F(ReadCachesTest, MaxAgeBoundsWhatAnUnannouncedChangeCanHide) {
  const Caller host =
      services_->authenticator.Authenticate("Bearer " + SignUpAndLogin("host@example.com").token);
  const std::string id = services_->meetings.Create(host, {.title = "t"}).meeting.id;
  services_->meetings.Get(host, id);
  // Changed behind the stores' back (as a lost notification would leave it).
  db_->Execute("UPDATE meetings SET title = 'changed' WHERE id = ?", {id});
  EXPECT_EQ(services_->meetings.Get(host, id).meeting.title, "t");
  clock_.Advance(1h);
  EXPECT_EQ(services_->meetings.Get(host, id).meeting.title, "changed");
}

TEST(ReadCachesDisabledTest, EveryReadGoesToTheDatabase) {
  mgw::testing::TempDir dir;
  storage::ManualClock clock{storage::FromUnixMillis(1'900'000'000'000)};
  auto db = storage::OpenDatabase(dir.File("mgw.db"));
  storage::MigrateToLatest(*db, clock);
  ServiceOptions options;
  options.cache.enabled = false;
  Services services(*db, clock, options);
  services.accounts.SignUp({.email = "a@example.com", .password = "long password"}, nullptr);
  LoginResult login = services.accounts.Login(
      {.email = "a@example.com", .password = "long password", .source_address = "198.18.0.1"});
  const Caller caller = services.authenticator.Authenticate("Bearer " + login.token);
  const std::string id = services.meetings.Create(caller, {.title = "t"}).meeting.id;
  services.meetings.Get(caller, id);
  db->Execute("UPDATE meetings SET title = 'changed' WHERE id = ?", {id});
  EXPECT_EQ(services.meetings.Get(caller, id).meeting.title, "changed");
  EXPECT_EQ(services.caches.meetings.size(), 0u);
  EXPECT_EQ(services.caches.credentials.stats().hits.load(), 0u);
}

}  // namespace
}  // namespace mgw::service
