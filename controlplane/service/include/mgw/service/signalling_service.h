#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/service/caller.h"
#include "mgw/service/meeting_service.h"
#include "mgw/storage/database.h"
#include "mgw/storage/dataplane_node_store.h"
#include "mgw/storage/meeting_store.h"
#include "mgw/storage/participant_media_store.h"

namespace mgw::service {

inline constexpr std::size_t kMaxVideoFeeds = 49;          // a participant
inline constexpr std::size_t kMaxRecorderVideoFeeds = 50;  // the recorder

struct SignallingJoin {
  MeetingView meeting;
  storage::ParticipantMedia self;                // with its media allocated
  std::vector<storage::ParticipantMedia> users;  // everyone open in the meeting, self included
};

struct FeedChange {
  std::vector<std::int64_t> remove;  // publishers' participation ids
  std::vector<std::int64_t> add;
  std::int64_t bitrate_bps = 0;  // for each added feed
  // Set by ChangeFeeds for the added feeds that get an RFC 4588 stream (by publisher): they are
  // programmed with `subscribe` and its rtx fields (a `swap` carries none).
  std::map<std::int64_t, storage::RtxStream> rtx;
};

// The database side of WebSocket signalling: joining with media (SSRCs and SRTP keys from
// libsodium's randombytes), leaving, and video subscriptions with their limit. Each call runs in
// one transaction holding the meeting's row lock; `program` is called inside it, before commit,
// to program the dataplane, so when the dataplane refuses nothing is recorded. Thread-safe;
// throws ServiceError.
class SignallingService {
 public:
  using ProgramJoin = std::function<void(const MeetingView&, const storage::ParticipantMedia&)>;
  using ProgramFeeds =
      std::function<void(const storage::ParticipantMedia& subscriber, const FeedChange& change)>;

  SignallingService(storage::Database& db, storage::MeetingStore& meetings,
                    storage::DataplaneNodeStore& nodes, storage::ParticipantMediaStore& media)
      : db_(db), meetings_(meetings), nodes_(nodes), media_(media) {}

  // Opens (or resumes) the caller's participation and allocates its media when it has none;
  // `program` runs only when media was allocated by this call. `rtx_payload_type`: the client
  // speaks RFC 4588 with that payload type (kept with its media); `declared_address`: where it
  // receives ("ip:port", the recorder's), kept with its media too. A recorder joins with role
  // "recorder" and must be the host or an administrator.
  SignallingJoin Join(const Caller& caller, std::string_view meeting_id,
                      std::optional<std::string> display_name, bool recorder, bool srtp,
                      const ProgramJoin& program,
                      std::optional<std::uint8_t> rtx_payload_type = std::nullopt,
                      std::optional<std::string> declared_address = std::nullopt);
  // Closes the caller's participation and drops its subscriptions; the participation, or none
  // when the caller was not in the meeting.
  std::optional<storage::ParticipantMedia> Leave(const Caller& caller, std::string_view meeting_id);
  // Applies `change` to the caller's video feeds: every named publisher must be open in the
  // meeting and not the caller; the result may hold at most kMaxVideoFeeds (kMaxRecorderVideoFeeds
  // for the recorder), else kConflict /problems/subscription-limit and nothing changes.
  std::vector<storage::VideoSubscription> ChangeFeeds(const Caller& caller,
                                                      std::string_view meeting_id,
                                                      const FeedChange& change,
                                                      const ProgramFeeds& program);
  std::vector<storage::ParticipantMedia> Users(std::string_view meeting_id);

  // Fresh media: three distinct non-zero SSRCs (audio, video, video RTX) and, with `srtp`,
  // AES_CM_128_HMAC_SHA1_80 keys (30 bytes each); without, plain RTP (clients that cannot do SRTP;
  // tests).
  static storage::MediaAllocation AllocateMedia(bool srtp);

 private:
  storage::Database& db_;
  storage::MeetingStore& meetings_;
  storage::DataplaneNodeStore& nodes_;
  storage::ParticipantMediaStore& media_;
};

// The body of every feed change, for a caller holding the meeting's row lock in `tx` with the
// subscriber `self` resolved (SignallingService by account, RoomService by participation): checks
// each added publisher is open in the meeting and not `self`, the feed limit for `self`'s role,
// stores the change, and programs it (added feeds with their RFC 4588 stream). Returns
// `self`'s subscriptions after it.
std::vector<storage::VideoSubscription> ApplyFeedChange(
    storage::ParticipantMediaStore& media, storage::SqlExecutor& tx, std::string_view meeting_id,
    const storage::ParticipantMedia& self, const FeedChange& change,
    const SignallingService::ProgramFeeds& program);

}  // namespace mgw::service
