// ScheduleStore and AliasNumberStore against both backends: schedules and their participants,
// invitation flags, cleanup selection, and alias numbers going round a range with quarantine.

#include <gtest/gtest.h>

#include "mgw/storage/alias_number_store.h"
#include "mgw/storage/schedule_store.h"
#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

class ScheduleStoreTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    if (IsSkipped()) return;
    ApplyMigrations();
    schedules_.emplace(db(), clock_);
  }

  NewSchedule Hearing(
      std::vector<NewScheduleParticipant> participants = {
          {.email = "judge@example.com", .name = "Judge", .role = ScheduleRole::kHost},
          {.email = "witness@example.com", .name = "", .role = ScheduleRole::kGuest}}) {
    return {.title = "hearing",
            .starts_at = clock_.Now() + hours(24),
            .ends_at = clock_.Now() + hours(25),
            .created_by = std::nullopt,
            .participants = std::move(participants)};
  }

  std::optional<ScheduleStore> schedules_;
};

TEST_P(ScheduleStoreTest, CreatesAPendingScheduleWithItsParticipants) {
  const Schedule created = schedules_->Create(db(), Hearing());
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.status, ScheduleStatus::kPending);
  EXPECT_EQ(created.title, "hearing");
  EXPECT_EQ(created.starts_at, clock_.Now() + hours(24));
  EXPECT_EQ(created.conference_name, ScheduleStore::ConferenceNameFor(created.id));
  EXPECT_FALSE(created.conference_id);
  EXPECT_FALSE(created.conference_deleted);
  ASSERT_EQ(created.participants.size(), 2u);
  EXPECT_EQ(created.participants[0].email, "judge@example.com");
  EXPECT_EQ(created.participants[0].role, ScheduleRole::kHost);
  EXPECT_EQ(created.participants[1].role, ScheduleRole::kGuest);
  for (const ScheduleParticipant& participant : created.participants) {
    EXPECT_FALSE(participant.invitation_sent);
    EXPECT_EQ(participant.notices_sent, 0);
  }
  EXPECT_EQ(schedules_->Find(created.id)->participants.size(), 2u);
  EXPECT_FALSE(schedules_->Find(created.id + 100));
}

TEST_P(ScheduleStoreTest, RefusesDuplicateEmailsAndEndsBeforeStarts) {
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(InTransaction(db(),
                                                 [&](Transaction& tx) {
                                                   schedules_->Create(
                                                       tx, Hearing({{.email = "a@example.com"},
                                                                    {.email = "a@example.com"}}));
                                                 })),
            StorageErrorKind::kUniqueViolation);
  NewSchedule backwards = Hearing();
  backwards.ends_at = backwards.starts_at;
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(schedules_->Create(db(), backwards)),
            StorageErrorKind::kConstraintViolation);
  EXPECT_EQ(schedules_->List(std::nullopt, 10, 0).total, 0);  // nothing half-written
}

TEST_P(ScheduleStoreTest, MovesThroughItsStatusesOnce) {
  const Schedule schedule = schedules_->Create(db(), Hearing());
  EXPECT_FALSE(schedules_->Transition(db(), schedule.id, ScheduleStatus::kActive,
                                      ScheduleStatus::kCompleted));
  EXPECT_TRUE(schedules_->Activate(
      db(), schedule.id,
      {.conference_id = 7, .alias_number = 1234567, .host_pin = "1234", .guest_pin = "5678"}));
  EXPECT_FALSE(schedules_->Activate(db(), schedule.id, {.conference_id = 8}));  // not pending
  Schedule active = *schedules_->Find(schedule.id);
  EXPECT_EQ(active.status, ScheduleStatus::kActive);
  EXPECT_EQ(active.conference_id, 7);
  EXPECT_EQ(active.alias_number, 1234567);
  EXPECT_EQ(active.host_pin, "1234");
  EXPECT_EQ(active.guest_pin, "5678");
  EXPECT_TRUE(schedules_->Transition(db(), schedule.id, ScheduleStatus::kActive,
                                     ScheduleStatus::kCancelled));
  EXPECT_TRUE(schedules_->MarkConferenceDeleted(db(), schedule.id));
  EXPECT_FALSE(schedules_->MarkConferenceDeleted(db(), schedule.id));
  const Schedule deleted = *schedules_->Find(schedule.id);
  EXPECT_TRUE(deleted.conference_deleted);
  EXPECT_EQ(deleted.conference_deleted_at, clock_.Now());
}

TEST_P(ScheduleStoreTest, SelectsForCleanupWhatEndedOrWasCalledOffOnce) {
  const Schedule ends_soon = schedules_->Create(db(), Hearing());
  const Schedule cancelled = schedules_->Create(db(), Hearing());
  const Schedule never_created = schedules_->Create(db(), Hearing());
  schedules_->Activate(db(), ends_soon.id, {.conference_id = 1, .alias_number = 1});
  schedules_->Activate(db(), cancelled.id, {.conference_id = 2, .alias_number = 2});
  schedules_->Transition(db(), cancelled.id, ScheduleStatus::kActive, ScheduleStatus::kCancelled);
  schedules_->Transition(db(), never_created.id, ScheduleStatus::kPending,
                         ScheduleStatus::kCancelled);

  EXPECT_EQ(schedules_->DueForCleanup(db(), clock_.Now(), 10),
            std::vector<std::int64_t>{cancelled.id});
  clock_.Advance(hours(25));
  EXPECT_EQ(schedules_->DueForCleanup(db(), clock_.Now(), 10),
            (std::vector<std::int64_t>{ends_soon.id, cancelled.id}));
  schedules_->MarkConferenceDeleted(db(), cancelled.id);
  EXPECT_EQ(schedules_->DueForCleanup(db(), clock_.Now(), 10),
            std::vector<std::int64_t>{ends_soon.id});
}

TEST_P(ScheduleStoreTest, InvitationFlagsAreSetOnceAndClearedByChanges) {
  const Schedule schedule = schedules_->Create(db(), Hearing());
  const std::int64_t judge = schedule.participants[0].id;
  const std::int64_t witness = schedule.participants[1].id;
  EXPECT_TRUE(schedules_->MarkInvitationSent(db(), judge));
  EXPECT_FALSE(schedules_->MarkInvitationSent(db(), judge));
  EXPECT_TRUE(schedules_->MarkInvitationSent(db(), witness));

  clock_.Advance(seconds(5));
  EXPECT_TRUE(schedules_->SetParticipantEmail(db(), schedule.id, witness, "w2@example.com"));
  EXPECT_FALSE(schedules_->SetParticipantEmail(db(), schedule.id, witness, "w2@example.com"));
  EXPECT_FALSE(schedules_->SetParticipantEmail(db(), schedule.id + 1, judge, "x@example.com"));
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(
                schedules_->SetParticipantEmail(db(), schedule.id, judge, "w2@example.com")),
            StorageErrorKind::kUniqueViolation);
  std::vector<ScheduleParticipant> participants = schedules_->Participants(db(), schedule.id);
  EXPECT_TRUE(participants[0].invitation_sent);
  EXPECT_FALSE(participants[1].invitation_sent);
  EXPECT_EQ(participants[1].email, "w2@example.com");
  EXPECT_TRUE(schedules_->MarkInvitationSent(db(), witness));
  participants = schedules_->Participants(db(), schedule.id);
  EXPECT_EQ(participants[1].notices_sent, 1);  // counted afresh for the new address
  EXPECT_EQ(participants[1].invitation_sent_at, clock_.Now());

  EXPECT_EQ(schedules_->ResetInvitations(db(), schedule.id), 2);
  for (const ScheduleParticipant& participant : schedules_->Participants(db(), schedule.id)) {
    EXPECT_FALSE(participant.invitation_sent);
  }
  const ScheduleParticipant added =
      schedules_->AddParticipant(db(), schedule.id, {.email = "clerk@example.com"});
  EXPECT_EQ(added.role, ScheduleRole::kGuest);
  EXPECT_TRUE(schedules_->RemoveParticipant(db(), schedule.id, added.id));
  EXPECT_FALSE(schedules_->RemoveParticipant(db(), schedule.id, added.id));
}

TEST_P(ScheduleStoreTest, ListsInCreationOrderByCreator) {
  for (int i = 0; i < 3; ++i) {
    schedules_->Create(db(), Hearing());
    clock_.Advance(seconds(1));
  }
  const SchedulePage page = schedules_->List(std::nullopt, 2, 1);
  EXPECT_EQ(page.total, 3);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_LT(page.items[0].id, page.items[1].id);
  EXPECT_EQ(page.items[0].participants.size(), 2u);
  EXPECT_EQ(schedules_->List(std::int64_t{42}, 10, 0).total, 0);
}

class AliasNumberStoreTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    if (IsSkipped()) return;
    ApplyMigrations();
  }

  std::optional<std::int64_t> Allocate(const AliasNumberRange& range,
                                       milliseconds quarantine = hours(1)) {
    return InTransaction(db(), [&](Transaction& tx) {
      return numbers_.Allocate(tx, range, quarantine, std::nullopt);
    });
  }

  AliasNumberStore numbers_{clock_};
};

TEST_P(AliasNumberStoreTest, GoesRoundTheRangeAndSkipsHeldNumbers) {
  const AliasNumberRange range{.first = 1000000, .last = 1000002};
  EXPECT_EQ(Allocate(range), 1000000);
  EXPECT_EQ(Allocate(range), 1000001);
  EXPECT_TRUE(numbers_.Release(db(), 1000000));
  EXPECT_FALSE(numbers_.Release(db(), 1000000));
  EXPECT_EQ(Allocate(range), 1000002);
  // Wrapped to the start: 1000000 is released but quarantined, 1000001 held: nothing.
  EXPECT_EQ(Allocate(range), std::nullopt);
  clock_.Advance(hours(1));
  EXPECT_EQ(Allocate(range), 1000000);  // quarantine over: reused
  const AliasNumberAllocation reused = *numbers_.Find(db(), 1000000);
  EXPECT_FALSE(reused.released_at);
  EXPECT_EQ(reused.allocated_at, clock_.Now());
  EXPECT_EQ(Allocate(range), std::nullopt);
}

TEST_P(AliasNumberStoreTest, ContinuesAfterTheLastNumberNotTheLowestFree) {
  const AliasNumberRange range{.first = 5, .last = 9};
  EXPECT_EQ(Allocate(range, milliseconds(0)), 5);
  EXPECT_EQ(Allocate(range, milliseconds(0)), 6);
  numbers_.Release(db(), 5);
  EXPECT_EQ(Allocate(range, milliseconds(0)), 7);  // not 5, though 5 is free
  EXPECT_EQ(Allocate(range, milliseconds(0)), 8);
  EXPECT_EQ(Allocate(range, milliseconds(0)), 9);
  EXPECT_EQ(Allocate(range, milliseconds(0)), 5);  // wrapped
  // A range moved elsewhere starts at its beginning.
  EXPECT_EQ(Allocate({.first = 100, .last = 200}), 100);
  EXPECT_EQ(MGW_STORAGE_ERROR_KIND(Allocate({.first = 3, .last = 2})),
            StorageErrorKind::kInvalidArgument);
}

TEST_P(AliasNumberStoreTest, FindsAGapPastAFullBatch) {
  // Every number of a smaller range held, so the cursor wraps to 1; the wider range's first free
  // number lies past more held numbers than one scan reads.
  for (int i = 1; i <= 300; ++i) ASSERT_EQ(Allocate({.first = 1, .last = 300}), i);
  EXPECT_EQ(Allocate({.first = 1, .last = 400}), 301);
  numbers_.Release(db(), 150);
  clock_.Advance(hours(2));
  EXPECT_EQ(Allocate({.first = 1, .last = 400}), 302);  // onwards from the cursor, not 150
}

MGW_INSTANTIATE_FOR_BACKENDS(ScheduleStoreTest);
MGW_INSTANTIATE_FOR_BACKENDS(AliasNumberStoreTest);

}  // namespace
}  // namespace mgw::storage::testing
