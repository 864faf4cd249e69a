// The node registry's heartbeats and silent-node marking, and participations' media and video
// subscriptions (ParticipantMediaStore), on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "mgw/storage/account_store.h"
#include "mgw/storage/dataplane_node_store.h"
#include "mgw/storage/meeting_store.h"
#include "mgw/storage/participant_media_store.h"
#include "storage_backend.h"

namespace mgw::storage::testing {
namespace {

using namespace std::chrono_literals;

class SignallingStoresTest : public StorageBackendTest {
 protected:
  void SetUp() override {
    StorageBackendTest::SetUp();
    ApplyMigrations();
  }

  std::int64_t NewAccount(const std::string& email) {
    return AccountStore(db(), clock_)
        .Create({.email = email, .password_hash = "x", .role = Role::kUser})
        .id;
  }
};

TEST_P(SignallingStoresTest, SilentNodesAreMarkedDownByAnyone) {
  DataplaneNodeStore nodes(db(), clock_);
  nodes.Register({.id = "a", .signalling_url = "http://a/signalling", .media_address = "a:1"});
  nodes.Register({.id = "b", .signalling_url = "http://b/signalling", .media_address = "b:1"});
  clock_.Advance(5s);
  ASSERT_TRUE(nodes.Heartbeat("a", {.meetings = 1, .participants = 3, .packets_per_second = 50}));
  EXPECT_FALSE(nodes.Heartbeat("nobody", {}));
  clock_.Advance(6s);
  // b has been silent 11 s, a 6 s: only b goes down, once, whoever asks.
  auto other = OpenAnother();
  DataplaneNodeStore other_nodes(*other, clock_);
  EXPECT_EQ(other_nodes.MarkSilentNodesDown(10s), std::vector<std::string>{"b"});
  EXPECT_TRUE(nodes.MarkSilentNodesDown(10s).empty());
  EXPECT_FALSE(nodes.Find(db(), "b")->up);
  EXPECT_EQ(nodes.Find(db(), "a")->load_participants, 3);
  EXPECT_EQ(nodes.LeastLoaded(db())->id, "a");
  // A heartbeat brings a node back.
  ASSERT_TRUE(nodes.Heartbeat("b", {}));
  EXPECT_EQ(nodes.LeastLoaded(db())->id, "b");
}

TEST_P(SignallingStoresTest, MediaAndSubscriptionsFollowParticipations) {
  DataplaneNodeStore nodes(db(), clock_);
  nodes.Register({.id = "n", .signalling_url = "u", .media_address = "127.0.0.1:40000"});
  MeetingStore meetings(db(), clock_);
  ParticipantMediaStore media(clock_);
  const std::int64_t alice = NewAccount("alice@example.com");
  const std::int64_t bob = NewAccount("bob@example.com");
  meetings.Create(db(), {.id = "m1", .host_account_id = alice, .node_id = "n", .title = ""});
  meetings.Create(db(), {.id = "m2", .host_account_id = alice, .node_id = "n", .title = ""});
  meetings.End(db(), "m2");
  EXPECT_EQ(media.LiveMeetingsOnNode(db(), "n"), std::vector<std::string>{"m1"});

  ASSERT_TRUE(meetings.Join(db(), {"m1", alice, "Alice", "host"}));
  ASSERT_TRUE(meetings.Join(db(), {"m1", bob, "Bob", "guest"}));
  auto a = media.FindOpen(db(), "m1", alice);
  auto b = media.FindOpen(db(), "m1", bob);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->media);
  media.SetMedia(db(), a->participation_id,
                 {.audio_ssrc = 4000000000u,
                  .video_ssrc = 2,
                  .srtp_suite = "AES_CM_128_HMAC_SHA1_80",
                  .srtp_rx_key = "rx",
                  .srtp_tx_key = "tx",
                  .video_rtx_ssrc = 4000000001u,
                  .rtx_payload_type = 97});
  media.SetMedia(db(), b->participation_id,
                 {.audio_ssrc = 3,
                  .video_ssrc = 4,
                  .video_rtx_ssrc = 5,
                  .declared_address = "127.0.0.1:40123"});
  a = media.FindOpen(db(), "m1", alice);
  ASSERT_TRUE(a->media);
  EXPECT_EQ(a->media->audio_ssrc, 4000000000u);  // all 32 bits survive
  EXPECT_EQ(a->media->srtp_rx_key, "rx");
  EXPECT_EQ(a->media->video_rtx_ssrc, 4000000001u);  // RFC 4588 (0008)
  EXPECT_EQ(a->media->rtx_payload_type, std::optional<std::uint8_t>(97));
  EXPECT_FALSE(media.FindOpen(db(), "m1", bob)->media->rtx_payload_type);
  // A declared receive address (the recorder's, 0010) is kept for a restarted dataplane.
  EXPECT_FALSE(a->media->declared_address);
  EXPECT_EQ(media.FindOpen(db(), "m1", bob)->media->declared_address,
            std::optional<std::string>("127.0.0.1:40123"));
  EXPECT_TRUE(media.FindOpen(db(), "m1", bob)->media->srtp_suite.empty());  // plain RTP
  EXPECT_EQ(media.ListOpen(db(), "m1").size(), 2u);

  media.Subscribe(db(), {a->participation_id, b->participation_id, 500000});
  media.Subscribe(db(), {a->participation_id, b->participation_id, 700000});  // a new bitrate
  media.Subscribe(db(), {b->participation_id, a->participation_id, 1});
  ASSERT_EQ(media.SubscriptionsOf(db(), a->participation_id).size(), 1u);
  EXPECT_EQ(media.SubscriptionsOf(db(), a->participation_id)[0].bitrate_bps, 700000);
  EXPECT_EQ(media.SubscriptionsInMeeting(db(), "m1").size(), 2u);
  // A leg's RTX stream: the publisher's RTX SSRC with the subscriber's payload type, only when
  // the subscriber announced one (b did not).
  for (const VideoSubscription& s : media.SubscriptionsInMeeting(db(), "m1")) {
    if (s.subscriber_id == a->participation_id) {
      EXPECT_EQ(s.rtx, (RtxStream{5, 97}));
    } else {
      EXPECT_FALSE(s.rtx);
    }
  }
  EXPECT_EQ(media.SubscriptionsOf(db(), a->participation_id)[0].rtx, (RtxStream{5, 97}));
  media.Unsubscribe(db(), b->participation_id, a->participation_id);
  EXPECT_EQ(media.SubscriptionsInMeeting(db(), "m1").size(), 1u);
  // Leaving drops the subscriptions to and from the participation.
  media.DropSubscriptions(db(), b->participation_id);
  meetings.Leave(db(), "m1", bob);
  EXPECT_TRUE(media.SubscriptionsInMeeting(db(), "m1").empty());
  EXPECT_FALSE(media.FindOpen(db(), "m1", bob));
}

MGW_INSTANTIATE_FOR_BACKENDS(SignallingStoresTest);

}  // namespace
}  // namespace mgw::storage::testing
