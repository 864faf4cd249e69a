#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// The media the control plane allocated to a participation (0003): SSRCs and SRTP keys. Empty for
// participations opened over HTTP only.
struct MediaAllocation {
  std::uint32_t audio_ssrc = 0;
  std::uint32_t video_ssrc = 0;
  std::string srtp_suite;   // "AES_CM_128_HMAC_SHA1_80", or empty: plain RTP (keys empty too)
  std::string srtp_rx_key;  // base64 master key + salt: protects what the participant sends
  std::string srtp_tx_key;  // base64: protects what it receives
  // RFC 4588 (0008): the SSRC of its video retransmissions (0: none, joined before 0008), and
  // the RTX payload type it announced (none: it does not speak RTX).
  std::uint32_t video_rtx_ssrc = 0;
  std::optional<std::uint8_t> rtx_payload_type;
  // The address it said it receives on, "ip:port" (0010): the recorder, which publishes nothing
  // the dataplane could latch. None: the dataplane learns it from the first packet.
  std::optional<std::string> declared_address;
};

// A leg's RFC 4588 stream: the subscriber receives retransmissions of the feed on `ssrc` (the
// publisher's video_rtx_ssrc) with `payload_type` (the one the subscriber announced).
struct RtxStream {
  std::uint32_t ssrc = 0;
  std::uint8_t payload_type = 0;
  bool operator==(const RtxStream&) const = default;
};

// One open participation as signalling and the dataplane see it.
struct ParticipantMedia {
  std::int64_t participation_id = 0;
  std::string meeting_id;
  std::optional<std::int64_t> account_id;
  std::string display_name;
  std::string role;  // host, guest, recorder
  std::optional<MediaAllocation> media;
};

struct VideoSubscription {
  std::int64_t subscriber_id = 0;
  std::int64_t publisher_id = 0;
  std::int64_t bitrate_bps = 0;
  // Derived when read (not a column of its own): set when the subscriber announced an RTX
  // payload type and the publisher has an RTX SSRC.
  std::optional<RtxStream> rtx = std::nullopt;
};

// Participations' media and their video subscriptions: what is needed to program a dataplane,
// and to program it again after it restarts. Calls run through the given SqlExecutor so a service
// composes them in one Transaction. Thread-safe like the Database; throws StorageError.
class ParticipantMediaStore {
 public:
  explicit ParticipantMediaStore(const Clock& clock) : clock_(clock) {}

  std::optional<ParticipantMedia> FindOpen(SqlExecutor& executor, std::string_view meeting_id,
                                           std::int64_t account_id);
  // Open participations of a meeting, in join order.
  std::vector<ParticipantMedia> ListOpen(SqlExecutor& executor, std::string_view meeting_id);
  void SetMedia(SqlExecutor& executor, std::int64_t participation_id, const MediaAllocation& media);
  // Active meetings placed on `node_id`.
  std::vector<std::string> LiveMeetingsOnNode(SqlExecutor& executor, std::string_view node_id);

  std::vector<VideoSubscription> SubscriptionsOf(SqlExecutor& executor, std::int64_t subscriber_id);
  std::vector<VideoSubscription> SubscriptionsInMeeting(SqlExecutor& executor,
                                                        std::string_view meeting_id);
  // Insert or change the bitrate.
  void Subscribe(SqlExecutor& executor, const VideoSubscription& subscription);
  void Unsubscribe(SqlExecutor& executor, std::int64_t subscriber_id, std::int64_t publisher_id);
  // Every subscription to or from a participation (when it leaves).
  void DropSubscriptions(SqlExecutor& executor, std::int64_t participation_id);

 private:
  const Clock& clock_;
};

}  // namespace mgw::storage
