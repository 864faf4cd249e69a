#include "mgw/storage/participant_media_store.h"

#include <fmt/format.h>

namespace mgw::storage {
namespace {

constexpr const char* kColumns =
    "SELECT id, meeting_id, account_id, display_name, role, audio_ssrc, video_ssrc, srtp_suite, "
    "srtp_rx_key, srtp_tx_key, video_rtx_ssrc, rtx_payload_type, media_address "
    "FROM meeting_participants ";

// A subscription with its leg's RTX stream: the publisher's RTX SSRC, the subscriber's payload
// type (0008).
constexpr const char* kSubscriptionColumns =
    "SELECT s.subscriber_id, s.publisher_id, s.bitrate_bps, pub.video_rtx_ssrc, "
    "sub.rtx_payload_type FROM video_subscriptions s "
    "JOIN meeting_participants sub ON sub.id = s.subscriber_id "
    "JOIN meeting_participants pub ON pub.id = s.publisher_id ";

ParticipantMedia FromRow(const Row& row) {
  ParticipantMedia p{.participation_id = row.GetInt64(0),
                     .meeting_id = row.GetString(1),
                     .account_id = row.GetOptionalInt64(2),
                     .display_name = row.GetString(3),
                     .role = row.GetString(4),
                     .media = std::nullopt};
  if (!row.IsNull(5) && !row.IsNull(6)) {
    p.media = MediaAllocation{.audio_ssrc = static_cast<std::uint32_t>(row.GetInt64(5)),
                              .video_ssrc = static_cast<std::uint32_t>(row.GetInt64(6)),
                              .srtp_suite = row.GetOptionalString(7).value_or(""),
                              .srtp_rx_key = row.GetOptionalString(8).value_or(""),
                              .srtp_tx_key = row.GetOptionalString(9).value_or("")};
    p.media->video_rtx_ssrc = static_cast<std::uint32_t>(row.GetOptionalInt64(10).value_or(0));
    if (auto pt = row.GetOptionalInt64(11)) {
      p.media->rtx_payload_type = static_cast<std::uint8_t>(*pt);
    }
    p.media->declared_address = row.GetOptionalString(12);
  }
  return p;
}

std::vector<VideoSubscription> SubscriptionsFrom(const std::vector<Row>& rows) {
  std::vector<VideoSubscription> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    VideoSubscription s{row.GetInt64(0), row.GetInt64(1), row.GetInt64(2)};
    std::optional<std::int64_t> rtx_ssrc = row.GetOptionalInt64(3);
    std::optional<std::int64_t> rtx_pt = row.GetOptionalInt64(4);
    if (rtx_ssrc && *rtx_ssrc != 0 && rtx_pt) {
      s.rtx = RtxStream{static_cast<std::uint32_t>(*rtx_ssrc), static_cast<std::uint8_t>(*rtx_pt)};
    }
    out.push_back(s);
  }
  return out;
}

Value OrNull(const std::string& text) { return text.empty() ? Value() : Value(text); }

}  // namespace

std::optional<ParticipantMedia> ParticipantMediaStore::FindOpen(SqlExecutor& executor,
                                                                std::string_view meeting_id,
                                                                std::int64_t account_id) {
  std::optional<Row> row = executor.QueryOne(
      std::string(kColumns) + "WHERE meeting_id = ? AND account_id = ? AND left_at IS NULL",
      {meeting_id, account_id});
  if (!row) return std::nullopt;
  return FromRow(*row);
}

std::vector<ParticipantMedia> ParticipantMediaStore::ListOpen(SqlExecutor& executor,
                                                              std::string_view meeting_id) {
  std::vector<ParticipantMedia> out;
  for (const Row& row : executor.Query(
           std::string(kColumns) + "WHERE meeting_id = ? AND left_at IS NULL ORDER BY id",
           {meeting_id})) {
    out.push_back(FromRow(row));
  }
  return out;
}

void ParticipantMediaStore::SetMedia(SqlExecutor& executor, std::int64_t participation_id,
                                     const MediaAllocation& media) {
  executor.Execute(
      "UPDATE meeting_participants SET audio_ssrc = ?, video_ssrc = ?, srtp_suite = ?, "
      "srtp_rx_key = ?, srtp_tx_key = ?, video_rtx_ssrc = ?, rtx_payload_type = ?, "
      "media_address = ? WHERE id = ?",
      {static_cast<std::int64_t>(media.audio_ssrc), static_cast<std::int64_t>(media.video_ssrc),
       OrNull(media.srtp_suite), OrNull(media.srtp_rx_key), OrNull(media.srtp_tx_key),
       media.video_rtx_ssrc == 0 ? Value() : Value(static_cast<std::int64_t>(media.video_rtx_ssrc)),
       media.rtx_payload_type ? Value(static_cast<std::int64_t>(*media.rtx_payload_type)) : Value(),
       media.declared_address ? Value(*media.declared_address) : Value(), participation_id});
}

std::vector<std::string> ParticipantMediaStore::LiveMeetingsOnNode(SqlExecutor& executor,
                                                                   std::string_view node_id) {
  std::vector<std::string> out;
  for (const Row& row :
       executor.Query("SELECT id FROM meetings WHERE node_id = ? AND state = 'active' ORDER BY id",
                      {node_id})) {
    out.push_back(row.GetString(0));
  }
  return out;
}

std::vector<VideoSubscription> ParticipantMediaStore::SubscriptionsOf(SqlExecutor& executor,
                                                                      std::int64_t subscriber_id) {
  return SubscriptionsFrom(executor.Query(
      std::string(kSubscriptionColumns) + "WHERE s.subscriber_id = ? ORDER BY s.publisher_id",
      {subscriber_id}));
}

std::vector<VideoSubscription> ParticipantMediaStore::SubscriptionsInMeeting(
    SqlExecutor& executor, std::string_view meeting_id) {
  return SubscriptionsFrom(executor.Query(
      std::string(kSubscriptionColumns) +
          "WHERE sub.meeting_id = ? AND sub.left_at IS NULL ORDER BY s.subscriber_id, "
          "s.publisher_id",
      {meeting_id}));
}

void ParticipantMediaStore::Subscribe(SqlExecutor& executor,
                                      const VideoSubscription& subscription) {
  executor.Execute(
      "INSERT INTO video_subscriptions (subscriber_id, publisher_id, bitrate_bps, created_at) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (subscriber_id, publisher_id) DO UPDATE SET "
      "bitrate_bps = $3",
      {subscription.subscriber_id, subscription.publisher_id, subscription.bitrate_bps,
       ToUnixMillis(clock_.Now())});
}

void ParticipantMediaStore::Unsubscribe(SqlExecutor& executor, std::int64_t subscriber_id,
                                        std::int64_t publisher_id) {
  executor.Execute("DELETE FROM video_subscriptions WHERE subscriber_id = ? AND publisher_id = ?",
                   {subscriber_id, publisher_id});
}

void ParticipantMediaStore::DropSubscriptions(SqlExecutor& executor,
                                              std::int64_t participation_id) {
  executor.Execute("DELETE FROM video_subscriptions WHERE subscriber_id = $1 OR publisher_id = $1",
                   {participation_id});
}

}  // namespace mgw::storage
