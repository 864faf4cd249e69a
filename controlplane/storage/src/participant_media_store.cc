#include "mgw/storage/participant_media_store.h"

#include <fmt/format.h>

namespace mgw::storage {
namespace {

constexpr const char* kColumns =
    "SELECT id, meeting_id, account_id, display_name, role, audio_ssrc, video_ssrc, srtp_suite, "
    "srtp_rx_key, srtp_tx_key FROM meeting_participants ";

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
  }
  return p;
}

std::vector<VideoSubscription> SubscriptionsFrom(const std::vector<Row>& rows) {
  std::vector<VideoSubscription> out;
  out.reserve(rows.size());
  for (const Row& row : rows) {
    out.push_back({row.GetInt64(0), row.GetInt64(1), row.GetInt64(2)});
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
      "srtp_rx_key = ?, srtp_tx_key = ? WHERE id = ?",
      {static_cast<std::int64_t>(media.audio_ssrc), static_cast<std::int64_t>(media.video_ssrc),
       OrNull(media.srtp_suite), OrNull(media.srtp_rx_key), OrNull(media.srtp_tx_key),
       participation_id});
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
  return SubscriptionsFrom(
      executor.Query("SELECT subscriber_id, publisher_id, bitrate_bps FROM video_subscriptions "
                     "WHERE subscriber_id = ? ORDER BY publisher_id",
                     {subscriber_id}));
}

std::vector<VideoSubscription> ParticipantMediaStore::SubscriptionsInMeeting(
    SqlExecutor& executor, std::string_view meeting_id) {
  return SubscriptionsFrom(executor.Query(
      "SELECT s.subscriber_id, s.publisher_id, s.bitrate_bps FROM video_subscriptions s "
      "JOIN meeting_participants p ON p.id = s.subscriber_id "
      "WHERE p.meeting_id = ? AND p.left_at IS NULL ORDER BY s.subscriber_id, s.publisher_id",
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
