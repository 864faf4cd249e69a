// ConferenceStore against both backends: conferences with unique names, aliases unique across all
// conferences, the list filters (exact, tag, prefix, case-insensitive substring with LIKE's
// wildcards taken literally), paging, and deletion taking the aliases along.

#include <gtest/gtest.h>

#include "mgw/storage/conference_store.h"
#include "mgw/storage/meeting_store.h"
#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

class ConferenceStoreTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    if (IsSkipped()) return;
    ApplyMigrations();
  }

  ConferenceRow Make(std::string name, std::string tag = "") {
    return store_.Create(db(), {.name = std::move(name),
                                .description = "",
                                .tag = std::move(tag),
                                .settings = R"({"pin":"1234"})"});
  }

  std::vector<std::string> Names(const ConferenceFilter& filter) {
    std::vector<std::string> names;
    for (const ConferenceRow& row : store_.List(db(), filter, 100, 0).items) {
      names.push_back(row.name);
    }
    return names;
  }

  ConferenceStore store_{clock_};
};

TEST_P(ConferenceStoreTest, CreatesFindsAndUpdatesAConference) {
  const ConferenceRow created = Make("Court 1", "hearings");
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.name, "Court 1");
  EXPECT_EQ(created.tag, "hearings");
  EXPECT_EQ(created.settings, R"({"pin":"1234"})");
  EXPECT_EQ(created.created_at, clock_.Now());
  EXPECT_FALSE(created.meeting_id);
  EXPECT_TRUE(created.aliases.empty());

  EXPECT_EQ(store_.FindByName(db(), "Court 1")->id, created.id);
  EXPECT_FALSE(store_.FindByName(db(), "court 1"));
  EXPECT_FALSE(store_.Find(db(), created.id + 1));

  EXPECT_TRUE(store_.Update(db(), created.id,
                            {.name = "Court 2", .description = "d", .tag = "t", .settings = "{}"}));
  const ConferenceRow updated = *store_.Find(db(), created.id);
  EXPECT_EQ(updated.name, "Court 2");
  EXPECT_EQ(updated.description, "d");
  EXPECT_EQ(updated.settings, "{}");
  EXPECT_FALSE(store_.Update(db(), created.id + 1, {.name = "x"}));
}

TEST_P(ConferenceStoreTest, NamesAreUnique) {
  Make("Court 1");
  const ConferenceRow other = Make("Court 2");
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(Make("Court 1")), StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(store_.Update(db(), other.id, {.name = "Court 1"})),
            StorageErrorKind::kUniqueViolation);
}

TEST_P(ConferenceStoreTest, AliasesAreUniqueAcrossConferences) {
  const ConferenceRow a = Make("A");
  const ConferenceRow b = Make("B");
  const ConferenceAliasRow first = store_.AddAlias(db(), a.id, "7000001", "number");
  store_.AddAlias(db(), a.id, "meet.7000001@example.com", "");
  EXPECT_EQ(first.conference_id, a.id);
  EXPECT_EQ(first.alias, "7000001");
  EXPECT_EQ(first.description, "number");

  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(store_.AddAlias(db(), b.id, "7000001", "")),
            StorageErrorKind::kUniqueViolation);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(store_.AddAlias(db(), a.id, "7000001", "")),
            StorageErrorKind::kUniqueViolation);

  const ConferenceRow found = *store_.FindByAlias(db(), "7000001");
  EXPECT_EQ(found.id, a.id);
  ASSERT_EQ(found.aliases.size(), 2u);
  EXPECT_EQ(found.aliases[0].alias, "7000001");
  EXPECT_FALSE(store_.FindByAlias(db(), "7000002"));

  EXPECT_EQ(store_.ListAliases(db(), a.id, std::nullopt, 10, 0).total, 2);
  EXPECT_EQ(store_.ListAliases(db(), b.id, std::nullopt, 10, 0).total, 0);
  EXPECT_EQ(store_.ListAliases(db(), std::nullopt, "7000001", 10, 0).items.at(0).id, first.id);

  ConferenceAliasRow moved = first;
  moved.conference_id = b.id;
  moved.description = "moved";
  EXPECT_TRUE(store_.UpdateAlias(db(), moved));
  EXPECT_EQ(store_.FindByAlias(db(), "7000001")->id, b.id);
  EXPECT_TRUE(store_.DeleteAlias(db(), first.id));
  EXPECT_FALSE(store_.DeleteAlias(db(), first.id));
  // The alias is free again.
  store_.AddAlias(db(), b.id, "7000001", "");
}

TEST_P(ConferenceStoreTest, DeletingAConferenceTakesItsAliases) {
  const ConferenceRow a = Make("A");
  store_.AddAlias(db(), a.id, "7000001", "");
  EXPECT_TRUE(store_.Delete(db(), a.id));
  EXPECT_FALSE(store_.Delete(db(), a.id));
  EXPECT_FALSE(store_.FindByAlias(db(), "7000001"));
  EXPECT_EQ(store_.ListAliases(db(), std::nullopt, std::nullopt, 10, 0).total, 0);
  const ConferenceRow b = Make("B");
  store_.AddAlias(db(), b.id, "7000001", "");
}

TEST_P(ConferenceStoreTest, ListsFilterAndPage) {
  Make("Court 1", "hearings");
  Make("Court 10", "hearings");
  Make("court 2");
  Make("Team 100%");
  Make("Team_1");
  EXPECT_EQ(Names({}),
            (std::vector<std::string>{"Court 1", "Court 10", "court 2", "Team 100%", "Team_1"}));
  EXPECT_EQ(Names({.name = "Court 1"}), (std::vector<std::string>{"Court 1"}));
  EXPECT_EQ(Names({.tag = "hearings"}), (std::vector<std::string>{"Court 1", "Court 10"}));
  // startswith is case-sensitive, icontains is not.
  EXPECT_EQ(Names({.name_startswith = "Court"}), (std::vector<std::string>{"Court 1", "Court 10"}));
  EXPECT_EQ(Names({.name_icontains = "COURT"}),
            (std::vector<std::string>{"Court 1", "Court 10", "court 2"}));
  // LIKE's wildcards match only themselves.
  EXPECT_EQ(Names({.name_icontains = "%"}), (std::vector<std::string>{"Team 100%"}));
  EXPECT_EQ(Names({.name_icontains = "_"}), (std::vector<std::string>{"Team_1"}));
  EXPECT_EQ(Names({.name_startswith = "Court", .name_icontains = "10"}),
            (std::vector<std::string>{"Court 10"}));
  EXPECT_TRUE(Names({.name = "Nobody"}).empty());

  const ConferencePage page = store_.List(db(), {.name_icontains = "t"}, 2, 1);
  EXPECT_EQ(page.total, 5);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].name, "Court 10");
  EXPECT_EQ(page.items[1].name, "court 2");
}

TEST_P(ConferenceStoreTest, LinksToItsMeetingUntilTheMeetingGoes) {
  const ConferenceRow a = Make("A");
  MeetingStore meetings(db(), clock_);
  db().Execute(
      "INSERT INTO accounts (email, password_hash, role, created_at, updated_at) VALUES "
      "('h@example.com', 'x', 'user', 0, 0)");
  const std::int64_t host = db().QueryOne("SELECT id FROM accounts")->GetInt64(0);
  meetings.Create(db(),
                  {.id = "m1", .host_account_id = host, .node_id = std::nullopt, .title = ""});
  EXPECT_TRUE(store_.SetMeeting(db(), a.id, "m1"));
  EXPECT_EQ(store_.Find(db(), a.id)->meeting_id, "m1");
  meetings.Delete(db(), "m1");
  EXPECT_FALSE(store_.Find(db(), a.id)->meeting_id);
}

TEST_P(ConferenceStoreTest, ATransactionThatFailsLeavesNothing) {
  EXPECT_THROW(InTransaction(db(),
                             [&](Transaction& tx) {
                               const ConferenceRow a =
                                   store_.Create(tx, {.name = "A", .settings = "{}"});
                               store_.AddAlias(tx, a.id, "7000001", "");
                               store_.Create(tx, {.name = "A", .settings = "{}"});  // taken
                             }),
               StorageError);
  EXPECT_EQ(store_.List(db(), {}, 10, 0).total, 0);
  EXPECT_FALSE(store_.FindByAlias(db(), "7000001"));
}

}  // namespace

MGW_INSTANTIATE_FOR_BACKENDS(ConferenceStoreTest);

}  // namespace mgw::storage::testing
