// Cache invalidation against real databases: every store write that changes a cached fact names
// its key after its commit (never on rollback), and on PostgreSQL another handle's CacheListener
// hears it through NOTIFY mgw_cache; a killed LISTEN connection flushes and bypasses the caches
// until it is back.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mgw/storage/account_store.h"
#include "mgw/storage/cache_invalidation.h"
#include "mgw/storage/cache_listener.h"
#include "mgw/storage/dataplane_node_store.h"
#include "mgw/storage/meeting_store.h"
#include "mgw/storage/postgres_database.h"
#include "mgw/storage/read_cache.h"
#include "mgw/storage/room_store.h"
#include "mgw/storage/secret_token.h"
#include "mgw/storage/token_store.h"
#include "mgw/storage/transaction.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

using namespace std::chrono_literals;

// Records every key the bus hands out, as "<kind>:<id>".
class KeyRecorder final : public CacheSubscriber {
 public:
  explicit KeyRecorder(CacheInvalidationBus& bus) : bus_(bus) { bus_.Subscribe(this); }
  ~KeyRecorder() override { bus_.Unsubscribe(this); }

  void OnChanged(std::string_view kind, std::string_view id, EvictionCause) override {
    std::lock_guard lock(mutex_);
    keys_.push_back(std::string(kind) + ":" + std::string(id));
  }
  void SetBypass(bool) override {}

  // The keys since the last call.
  std::vector<std::string> Take() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> keys = std::move(keys_);
    keys_.clear();
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  CacheInvalidationBus& bus_;
  std::mutex mutex_;
  std::vector<std::string> keys_;
};

bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

using Keys = std::vector<std::string>;

class CacheInvalidationTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    ApplyMigrations();
  }
};

TEST_P(CacheInvalidationTest, EveryWriteNamesWhatItChangedAfterItsCommit) {
  AccountStore accounts(db(), clock_);
  const std::int64_t host_ =
      accounts.Create({.email = "host@example.com", .password_hash = "x"}).id;
  KeyRecorder recorder(db().invalidation());
  MeetingStore meetings(db(), clock_);
  DataplaneNodeStore nodes(db(), clock_);
  TokenStore tokens(db(), clock_);
  RoomStore rooms(clock_);
  const std::string host = std::to_string(host_);

  nodes.Register({.id = "n1", .signalling_url = "http://n1/s", .media_address = "n1:1"});
  EXPECT_EQ(recorder.Take(), Keys{"node:n1"});
  nodes.Heartbeat("n1", {.participants = 2});
  EXPECT_EQ(recorder.Take(), Keys{"node:n1"});

  {
    Transaction tx(db());
    meetings.Create(tx, {.id = "m1", .host_account_id = host_, .node_id = "n1", .title = "t"});
    meetings.Join(tx,
                  {.meeting_id = "m1", .account_id = host_, .display_name = "h", .role = "host"});
    nodes.AddParticipants(tx, "n1", 1);
    EXPECT_EQ(recorder.Take(), Keys{}) << "nothing before the commit";
    tx.Commit();
  }
  EXPECT_EQ(recorder.Take(), (Keys{"meeting:m1", "node:n1"}));
  {
    Transaction tx(db());
    meetings.Leave(tx, "m1", host_);
    tx.Rollback();
  }
  EXPECT_EQ(recorder.Take(), Keys{}) << "nothing on rollback";

  InTransaction(db(), [&](Transaction& tx) { meetings.Leave(tx, "m1", host_); });
  EXPECT_EQ(recorder.Take(), Keys{"meeting:m1"});
  InTransaction(db(), [&](Transaction& tx) { meetings.MarkRecordingRequested(tx, "m1"); });
  EXPECT_EQ(recorder.Take(), Keys{"meeting:m1"});
  InTransaction(db(), [&](Transaction& tx) {
    rooms.CreateMeeting(tx, "room", "n1", "Room");
    rooms.CloseParticipation(tx, rooms.OpenParticipation(tx, "room", "Guest", "guest"));
  });
  EXPECT_EQ(recorder.Take(), Keys{"meeting:room"});
  InTransaction(db(), [&](Transaction& tx) { meetings.End(tx, "m1"); });
  EXPECT_EQ(recorder.Take(), Keys{"meeting:m1"});
  InTransaction(db(), [&](Transaction& tx) { meetings.Delete(tx, "m1"); });
  EXPECT_EQ(recorder.Take(), Keys{"meeting:m1"});

  clock_.Advance(1h);
  EXPECT_EQ(nodes.MarkSilentNodesDown(1min), std::vector<std::string>{"n1"});
  EXPECT_EQ(recorder.Take(), Keys{"node:n1"});

  const std::string hash = HashToken("t1");
  const AccessToken token = accounts.CreateToken(
      {.account_id = host_, .token_hash = hash, .expires_at = clock_.Now() + 1h});
  accounts.CreateToken(
      {.account_id = host_, .token_hash = HashToken("t2"), .expires_at = clock_.Now() + 1h});
  EXPECT_TRUE(tokens.Revoke(host_, token.id));
  EXPECT_EQ(recorder.Take(), Keys{"token:" + hash});
  EXPECT_TRUE(accounts.RevokeTokenByHash(HashToken("t2")));
  EXPECT_EQ(recorder.Take(), Keys{"token:" + HashToken("t2")});
  accounts.CreateToken(
      {.account_id = host_, .token_hash = HashToken("t3"), .expires_at = clock_.Now() + 1h});
  EXPECT_EQ(accounts.RevokeAllTokens(host_), 1);
  EXPECT_EQ(recorder.Take(), Keys{"account:" + host});
  const ApiKey key = accounts.CreateApiKey({.account_id = host_, .name = "k", .key_hash = "kh"});
  EXPECT_TRUE(accounts.RevokeApiKey(key.id));
  EXPECT_EQ(recorder.Take(), Keys{"token:kh"});
  accounts.Delete(host_);
  EXPECT_EQ(recorder.Take(), (Keys{"account:" + host, "meeting:*"}));
}

MGW_INSTANTIATE_FOR_BACKENDS(CacheInvalidationTest);

// Two handles on one PostgreSQL database, as two control planes: B's cache hears A's commits.
class CacheListenerTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    if (!is_postgres()) GTEST_SKIP() << "LISTEN/NOTIFY is PostgreSQL's";
    ApplyMigrations();
    b_ = OpenAnother();
    listener_ = std::make_unique<CacheListener>(
        b_->invalidation(),
        CacheListener::Options{.uri = dynamic_cast<PostgresDatabase&>(db()).options().uri});
    cache_ = std::make_unique<ReadCache<int>>("things", "thing", clock_,
                                              ReadCacheOptions{.entries = 100, .max_age = 1h},
                                              &b_->invalidation());
  }
  void TearDown() override {
    cache_.reset();
    listener_.reset();
    b_.reset();
    StorageBackendTest::TearDown();
  }

  bool Put(const std::string& key) { return cache_->Insert(key, 1, cache_->TicketFor(key)); }
  std::uint64_t Evicted(EvictionCause cause) {
    return cache_->stats().evictions[static_cast<int>(cause)].load();
  }

  std::unique_ptr<Database> b_;
  std::unique_ptr<CacheListener> listener_;
  std::unique_ptr<ReadCache<int>> cache_;
};

TEST_P(CacheListenerTest, ACommitOnOneHandleEvictsInTheOther) {
  EXPECT_TRUE(cache_->bypassing()) << "nothing is cached before LISTEN is up";
  EXPECT_FALSE(Put("x"));
  listener_->Start();
  ASSERT_TRUE(listener_->up());
  EXPECT_FALSE(cache_->bypassing());
  ASSERT_TRUE(Put("x"));
  ASSERT_TRUE(Put("y"));

  // Rolled back: never delivered. Committed: delivered, in commit order.
  {
    Transaction tx(db());
    tx.MarkChanged(CacheKey("thing", "x"));
    tx.Rollback();
  }
  InTransaction(db(), [](Transaction& tx) { tx.MarkChanged(CacheKey("thing", "y")); });
  ASSERT_TRUE(Eventually([&] { return Evicted(EvictionCause::kNotification) == 1; }));
  EXPECT_FALSE(cache_->Find("y"));
  EXPECT_TRUE(cache_->Find("x"));

  // An auto-committed write through a store (the Database as executor) notifies too.
  const std::int64_t host =
      AccountStore(db(), clock_).Create({.email = "h@example.com", .password_hash = "x"}).id;
  MeetingStore(db(), clock_).Create(db(), {.id = "x", .host_account_id = host, .title = "t"});
  ASSERT_TRUE(Eventually([&] { return listener_->notifications() == 2; }));  // y, the creation
  cache_.reset();
  ReadCache<int> meetings("meetings", "meeting", clock_, {.entries = 100, .max_age = 1h},
                          &b_->invalidation());
  ASSERT_TRUE(meetings.Insert("x", 1, meetings.TicketFor("x")));
  MeetingStore(db(), clock_).End(db(), "x");
  ASSERT_TRUE(Eventually([&] {
    return meetings.stats().evictions[static_cast<int>(EvictionCause::kNotification)] == 1;
  }));
  EXPECT_FALSE(meetings.Find("x"));
  EXPECT_EQ(listener_->notifications(), 3u);
}

TEST_P(CacheListenerTest, ALostListenConnectionBypassesUntilItIsBack) {
  listener_->Start();
  ASSERT_TRUE(listener_->up());
  ASSERT_TRUE(Put("x"));
  const int pid = listener_->BackendPidForTest();
  ASSERT_NE(pid, 0);
  db().Query("SELECT pg_terminate_backend(?)", {static_cast<std::int64_t>(pid)});
  ASSERT_TRUE(Eventually([&] { return listener_->losses() == 1; }));
  EXPECT_GE(Evicted(EvictionCause::kFlush), 1u);
  EXPECT_FALSE(cache_->Find("x"));
  // Back (a new backend), caching again; a write is heard again.
  ASSERT_TRUE(Eventually([&] { return listener_->up() && !cache_->bypassing(); }));
  EXPECT_NE(listener_->BackendPidForTest(), pid);
  ASSERT_TRUE(Put("x"));
  InTransaction(db(), [](Transaction& tx) { tx.MarkChanged(CacheKey("thing", "x")); });
  ASSERT_TRUE(Eventually([&] { return Evicted(EvictionCause::kNotification) == 1; }));
}

MGW_INSTANTIATE_FOR_BACKENDS(CacheListenerTest);

}  // namespace
}  // namespace mgw::storage::testing
