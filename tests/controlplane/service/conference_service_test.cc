// ConferenceService on a real SQLite file with an injected clock: what the HTTP tests do not
// reach: the overloads a job uses inside its own transaction, who may call the others, and the
// stored settings surviving a round trip.
#include "mgw/service/conference_service.h"

#include <gtest/gtest.h>

#include <memory>

#include "mgw/service/service_error.h"
#include "mgw/service/services.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/sqlite_database.h"
#include "mgw/storage/transaction.h"
#include "temp_dir.h"

namespace mgw::service {
namespace {

namespace json = boost::json;

class ConferenceServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = storage::OpenDatabase(dir_.File("mgw.db"));
    storage::MigrateToLatest(*db_, clock_);
    services_ = std::make_unique<Services>(*db_, clock_);
  }

  static Caller Admin(storage::ApiKeyScope scope = storage::ApiKeyScope::kAdmin) {
    return Caller{.account_id = 1, .email = "admin", .role = storage::Role::kAdmin, .scope = scope};
  }

  ConferenceService& conferences() { return services_->conferences; }

  mgw::testing::TempDir dir_;
  storage::ManualClock clock_{storage::FromUnixMillis(1'900'000'000'000)};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Services> services_;
};

TEST_F(ConferenceServiceTest, CreatesInTheCallersTransaction) {
  // Rolled back with the job's own bookkeeping: nothing stays.
  {
    storage::Transaction tx(*db_);
    Conference created = conferences().Create(
        tx, json::object{{"name", "mgw-schedule-1"},
                         {"pin", "1234"},
                         {"guest_pin", "5678"},
                         {"allow_guests", true},
                         {"aliases", json::array{json::object{{"alias", "meet1000001"}},
                                                 json::object{{"alias", "1000001"}}}}});
    EXPECT_GT(created.id, 0);
    EXPECT_EQ(conferences().FindByAlias(tx, "1000001")->id, created.id);
    tx.Rollback();
  }
  EXPECT_FALSE(conferences().FindByName(Admin(), "mgw-schedule-1"));

  // Committed: found by name and alias, with every field as given and the rest defaulted.
  std::int64_t id = 0;
  storage::InTransaction(*db_, [&](storage::Transaction& tx) {
    id = conferences()
             .Create(tx, json::object{{"name", "mgw-schedule-1"},
                                      {"pin", "1234"},
                                      {"guest_pin", "5678"},
                                      {"allow_guests", true},
                                      {"aliases", json::array{json::object{{"alias", "1000001"}}}}})
             .id;
  });
  std::optional<Conference> found = conferences().FindByAlias(Admin(), "1000001");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, id);
  EXPECT_EQ(found->pin, "1234");
  EXPECT_EQ(found->guest_pin, "5678");
  EXPECT_TRUE(found->allow_guests);
  EXPECT_EQ(found->host_view, "one_main_seven_pips");
  EXPECT_EQ(found->creation_time, clock_.Now());
  ASSERT_EQ(found->aliases.size(), 1u);
  EXPECT_EQ(found->aliases[0].conference_id, id);

  // Deleting in a transaction: true once, then false (already gone).
  storage::InTransaction(*db_, [&](storage::Transaction& tx) {
    EXPECT_TRUE(conferences().Delete(tx, id));
    EXPECT_FALSE(conferences().Delete(tx, id));
  });
  EXPECT_FALSE(conferences().FindByAlias(Admin(), "1000001"));
}

TEST_F(ConferenceServiceTest, ValidationErrorsCarryPexipsMessages) {
  conferences().Create(Admin(), json::object{{"name", "taken"}});
  try {
    conferences().Create(Admin(), json::object{{"name", "taken"}, {"pin", "12"}});
    FAIL() << "no error";
  } catch (const ConferenceValidationError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidRequest);
    EXPECT_EQ(e.resource(), "conference");
    EXPECT_EQ(e.errors().at("name"),
              std::vector<std::string>{"Conference with this Name already exists."});
    EXPECT_EQ(e.errors().count("pin"), 1u);
    EXPECT_NE(e.detail().find("name: Conference with this Name already exists."),
              std::string::npos);
  }
}

TEST_F(ConferenceServiceTest, OnlyAdministratorsWithTheScopeManageConferences) {
  Caller user{.account_id = 2,
              .email = "u",
              .role = storage::Role::kUser,
              .scope = storage::ApiKeyScope::kAdmin};
  EXPECT_THROW(conferences().List(user, {}, {}), ServiceError);
  EXPECT_THROW(conferences().Create(user, json::object{{"name", "x"}}), ServiceError);
  const Caller reader = Admin(storage::ApiKeyScope::kRead);
  EXPECT_NO_THROW(conferences().List(reader, {}, {}));
  EXPECT_THROW(conferences().Create(reader, json::object{{"name", "x"}}), ServiceError);
  EXPECT_EQ(conferences().List(Admin(), {}, {}).total, 0);
}

TEST_F(ConferenceServiceTest, UpdateKeepsAliasIdsAndUnchangedFields) {
  Conference created = conferences().Create(
      Admin(), json::object{{"name", "a"},
                            {"participant_limit", 10},
                            {"aliases", json::array{json::object{{"alias", "x"}},
                                                    json::object{{"alias", "y"}}}}});
  Conference updated = conferences().Update(
      Admin(), created.id,
      json::object{{"aliases", json::array{json::object{{"alias", "y"}, {"description", "kept"}},
                                           json::object{{"alias", "z"}}}}});
  EXPECT_EQ(updated.participant_limit, 10);
  ASSERT_EQ(updated.aliases.size(), 2u);
  EXPECT_EQ(updated.aliases[0].alias, "y");
  EXPECT_EQ(updated.aliases[0].id, created.aliases[1].id);
  EXPECT_EQ(updated.aliases[0].description, "kept");
  EXPECT_EQ(updated.aliases[1].alias, "z");
  EXPECT_FALSE(conferences().FindByAlias(Admin(), "x"));
  EXPECT_THROW(conferences().Update(Admin(), created.id + 1, json::object{}), ServiceError);
}

}  // namespace
}  // namespace mgw::service
