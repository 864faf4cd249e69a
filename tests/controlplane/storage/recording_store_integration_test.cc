// RecordingStore against both backends: one recording per meeting, the catch-up from meetings
// marked for recording, claims with a lease (the oldest first, a live one only once its lease
// expired, a resumed one keeping its state), and reports fenced by the claim number.

#include <gtest/gtest.h>

#include "mgw/storage/account_store.h"
#include "mgw/storage/meeting_store.h"
#include "mgw/storage/recording_store.h"
#include "mgw/storage/transaction.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

using namespace std::chrono_literals;

class RecordingStoreTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    if (IsSkipped()) return;
    ApplyMigrations();
    host_ = accounts().Create({.email = "host@example.com", .password_hash = "x"}).id;
  }

  AccountStore& accounts() {
    if (!accounts_) accounts_ = std::make_unique<AccountStore>(db(), clock_);
    return *accounts_;
  }
  MeetingStore& meetings() {
    if (!meetings_) meetings_ = std::make_unique<MeetingStore>(db(), clock_);
    return *meetings_;
  }
  RecordingStore& store() {
    if (!store_) store_ = std::make_unique<RecordingStore>(db(), clock_);
    return *store_;
  }

  void CreateMeeting(const std::string& id) {
    meetings().Create(db(), {.id = id, .host_account_id = host_, .node_id = {}, .title = ""});
  }

  std::optional<RecordingRow> Claim(const std::string& recorder) {
    return InTransaction(db(),
                         [&](Transaction& tx) { return store().ClaimNext(tx, recorder, 30s); });
  }

  std::int64_t host_ = 0;
  std::unique_ptr<AccountStore> accounts_;
  std::unique_ptr<MeetingStore> meetings_;
  std::unique_ptr<RecordingStore> store_;
};

TEST_P(RecordingStoreTest, OneRecordingPerMeetingAndACatchUpFromRequestedMeetings) {
  CreateMeeting("m1");
  CreateMeeting("m2");
  EXPECT_TRUE(store().EnsureRequested(db(), "m1"));
  EXPECT_FALSE(store().EnsureRequested(db(), "m1"));
  EXPECT_EQ(store().CatchUpRequested(db()), 0);  // m2 was never asked for
  EXPECT_TRUE(meetings().MarkRecordingRequested(db(), "m2"));
  EXPECT_EQ(store().CatchUpRequested(db()), 1);
  EXPECT_EQ(store().CatchUpRequested(db()), 0);
  const RecordingRow m2 = *store().FindByMeeting(db(), "m2");
  EXPECT_EQ(m2.state, RecordingState::kRequested);
  EXPECT_EQ(m2.claims, 0);
  EXPECT_EQ(m2.created_at, clock_.Now());
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(store().EnsureRequested(db(), "")),
            StorageErrorKind::kInvalidArgument);
}

TEST_P(RecordingStoreTest, ClaimsTheOldestAndAgainOnlyAfterTheLeaseExpires) {
  CreateMeeting("m1");
  CreateMeeting("m2");
  store().EnsureRequested(db(), "m1");
  store().EnsureRequested(db(), "m2");
  const RecordingRow first = *Claim("rec-a");
  EXPECT_EQ(first.meeting_id, "m1");
  EXPECT_EQ(first.state, RecordingState::kAssigned);
  EXPECT_EQ(first.claims, 1);
  EXPECT_EQ(first.recorder, "rec-a");
  EXPECT_EQ(first.lease_expires_at, clock_.Now() + 30s);
  EXPECT_EQ(Claim("rec-b")->meeting_id, "m2");
  EXPECT_FALSE(Claim("rec-b"));  // both held

  // rec-a reports (renewing its lease), then goes silent.
  EXPECT_TRUE(
      store().Report(db(), first.id, 1, RecordingState::kRecording, std::string("m1_1.mkv"), 30s));
  clock_.Advance(29s);
  EXPECT_FALSE(Claim("rec-b"));
  clock_.Advance(2s);
  const std::optional<RecordingRow> again = Claim("rec-b");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, first.id);
  EXPECT_TRUE(store().Report(db(), first.id, 2, RecordingState::kRecording, std::nullopt, 30s));
  const RecordingRow resumed = *store().Find(db(), first.id);
  EXPECT_EQ(resumed.claims, 2);
  EXPECT_EQ(resumed.recorder, "rec-b");
  EXPECT_EQ(resumed.state, RecordingState::kRecording);  // kept: the new claimant resumes
  EXPECT_EQ(resumed.file_name, "m1_1.mkv");              // kept when a report names none

  // The first claim is fenced off; the second completes.
  EXPECT_FALSE(store().Report(db(), first.id, 1, RecordingState::kUploading, std::nullopt, 30s));
  EXPECT_FALSE(store().Complete(db(), first.id, 1, {.location = "file:///x"}));
  EXPECT_TRUE(store().Complete(db(), first.id, 2,
                               {.location = "file:///rec/m1_1.mkv",
                                .link = "file:///rec/m1_1.mkv",
                                .link_expires_at = clock_.Now() + 1h,
                                .sha256 = std::string(64, 'a'),
                                .size_bytes = 1234,
                                .duration_ms = 6000,
                                .manifest = R"({"streams":[]})",
                                .segments = R"([{"file_name":"m1_1.mkv"}])"}));
  const RecordingRow done = *store().Find(db(), first.id);
  EXPECT_EQ(done.state, RecordingState::kDone);
  EXPECT_EQ(done.segments, R"([{"file_name":"m1_1.mkv"}])");  // migration 0009
  EXPECT_EQ(done.size_bytes, 1234);
  EXPECT_EQ(done.link_expires_at, clock_.Now() + 1h);
  EXPECT_EQ(done.completed_at, clock_.Now());
  EXPECT_FALSE(done.lease_expires_at);
  // Finished rows never change again, whatever the claim.
  EXPECT_FALSE(store().Fail(db(), first.id, 2, "late"));
  clock_.Advance(1h);
  EXPECT_NE(Claim("rec-c").value_or(RecordingRow{}).id, first.id);
}

TEST_P(RecordingStoreTest, FailsAndListsNewestFirstWithRecipients) {
  CreateMeeting("m1");
  CreateMeeting("m2");
  store().EnsureRequested(db(), "m1");
  store().EnsureRequested(db(), "m2");
  meetings().AddRecipient(db(), "m1", "a@example.com");
  meetings().AddRecipient(db(), "m1", "b@example.com");
  EXPECT_EQ(store().Recipients(db(), "m1"),
            (std::vector<std::string>{"a@example.com", "b@example.com"}));
  EXPECT_TRUE(store().Recipients(db(), "m2").empty());
  const RecordingRow claimed = *Claim("rec");
  EXPECT_TRUE(store().Fail(db(), claimed.id, claimed.claims, "the meeting ended"));
  EXPECT_EQ(store().Find(db(), claimed.id)->error, "the meeting ended");
  const std::vector<RecordingRow> rows = store().List(10, std::nullopt);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_GT(rows[0].id, rows[1].id);
  EXPECT_EQ(store().List(10, rows[0].id).size(), 1u);
  // The row outlives its meeting.
  InTransaction(db(), [&](Transaction& tx) { meetings().Delete(tx, "m1"); });
  EXPECT_EQ(store().Find(db(), claimed.id)->state, RecordingState::kFailed);
}

MGW_INSTANTIATE_FOR_BACKENDS(RecordingStoreTest);

}  // namespace
}  // namespace mgw::storage::testing
