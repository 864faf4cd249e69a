// GET /meeting/{id}'s read (MeetingStore::FindWithNode: the meeting and its node in one statement)
// and the statement cache it relies on, on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "mgw/storage/account_store.h"
#include "mgw/storage/dataplane_node_store.h"
#include "mgw/storage/meeting_store.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

class MeetingStoreTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    ApplyMigrations();
    host_ = AccountStore(db(), clock_)
                .Create({.email = "host@example.com", .password_hash = "x", .role = Role::kUser})
                .id;
  }

  std::int64_t host_ = 0;
};

TEST_P(MeetingStoreTest, FindWithNodeReadsWhatFindAndTheNodeStoreRead) {
  DataplaneNodeStore nodes(db(), clock_);
  MeetingStore meetings(db(), clock_);
  nodes.Register({.id = "node-a", .signalling_url = "http://a/signalling", .media_address = "a:1"});
  ASSERT_TRUE(nodes.Heartbeat("node-a", {.participants = 7}));
  meetings.Create(
      db(), {.id = "placed", .host_account_id = host_, .node_id = "node-a", .title = "Placed"});
  ASSERT_TRUE(meetings.Join(
      db(), {.meeting_id = "placed", .account_id = host_, .display_name = "Host", .role = "host"}));

  std::optional<MeetingWithNode> found = meetings.FindWithNode(db(), "placed");
  ASSERT_TRUE(found);
  const Meeting expected = *meetings.Find(db(), "placed");
  EXPECT_EQ(found->meeting.id, expected.id);
  EXPECT_EQ(found->meeting.title, "Placed");
  EXPECT_EQ(found->meeting.host_account_id, host_);
  EXPECT_EQ(found->meeting.node_id, "node-a");
  EXPECT_EQ(found->meeting.state, MeetingState::kActive);
  EXPECT_EQ(found->meeting.created_at, expected.created_at);
  EXPECT_EQ(found->meeting.participant_count, 1);
  ASSERT_TRUE(found->node);
  EXPECT_EQ(found->node->id, "node-a");
  EXPECT_EQ(found->node->signalling_url, "http://a/signalling");
  EXPECT_EQ(found->node->media_address, "a:1");
  EXPECT_TRUE(found->node->up);
  EXPECT_EQ(found->node->load_participants, 7);

  // The second run of the same text comes from the statement cache and reads the change.
  ASSERT_TRUE(meetings.End(db(), "placed"));
  found = meetings.FindWithNode(db(), "placed");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->meeting.state, MeetingState::kEnded);
  EXPECT_EQ(found->meeting.participant_count, 0);
}

TEST_P(MeetingStoreTest, FindWithNodeWithoutANode) {
  MeetingStore meetings(db(), clock_);
  meetings.Create(db(), {.id = "unplaced", .host_account_id = host_, .title = "Nowhere"});
  std::optional<MeetingWithNode> found = meetings.FindWithNode(db(), "unplaced");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->meeting.title, "Nowhere");
  EXPECT_FALSE(found->meeting.node_id);
  EXPECT_FALSE(found->node);
  EXPECT_FALSE(meetings.FindWithNode(db(), "no-such-meeting"));
}

TEST_P(MeetingStoreTest, CachedStatementsKeepTheirColumnNames) {
  // Column names are read once per prepared statement and shared by the rows of every run.
  for (int run = 0; run < 3; ++run) {
    std::vector<Row> rows = db().Query("SELECT 1 AS one, ? AS two", {std::int64_t{run}});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].column_name(0), "one");
    EXPECT_EQ(rows[0].column_name(1), "two");
    EXPECT_EQ(rows[0].GetInt64(1), run);
  }
}

MGW_INSTANTIATE_FOR_BACKENDS(MeetingStoreTest);

}  // namespace
}  // namespace mgw::storage::testing
