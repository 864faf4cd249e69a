#include "api_json.h"

#include <fmt/format.h>

#include <ctime>

namespace mgw::controlplane::api_json {

std::string Time(storage::TimePoint time) {
  const std::int64_t millis = storage::ToUnixMillis(time);
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     millis % 1000);
}

namespace {

boost::json::value OptionalTime(const std::optional<storage::TimePoint>& time) {
  if (!time) return nullptr;
  return boost::json::string(Time(*time));
}

}  // namespace

boost::json::object Account(const storage::Account& account) {
  return {{"id", account.id},
          {"email", account.email},
          {"role", storage::ToString(account.role)},
          {"created_at", Time(account.created_at)}};
}

boost::json::object Token(const storage::AccessToken& token, bool current) {
  return {{"id", token.id},
          {"created_at", Time(token.created_at)},
          {"expires_at", Time(token.expires_at)},
          {"current", current}};
}

boost::json::object ApiKey(const storage::ApiKey& key) {
  return {{"id", key.id},
          {"account_id", key.account_id},
          {"name", key.name},
          {"scope", storage::ToString(key.scope)},
          {"created_at", Time(key.created_at)},
          {"expires_at", OptionalTime(key.expires_at)}};
}

boost::json::object Meeting(const service::MeetingView& view) {
  const storage::Meeting& m = view.meeting;
  boost::json::value node = nullptr;
  if (view.node) {
    node = boost::json::object{{"id", view.node->id},
                               {"signalling_url", view.node->signalling_url},
                               {"media_address", view.node->media_address}};
  }
  boost::json::value host = nullptr;
  if (m.host_account_id) host = *m.host_account_id;
  return {{"id", m.id},
          {"title", m.title},
          {"state", storage::ToString(m.state)},
          {"host_account_id", host},
          {"node", node},
          {"participant_count", m.participant_count},
          {"recording_requested", m.recording_requested_at.has_value()},
          {"created_at", Time(m.created_at)},
          {"ended_at", OptionalTime(m.ended_at)}};
}

boost::json::object Recipient(const storage::RecordingRecipient& recipient) {
  return {{"email", recipient.email}, {"added_at", Time(recipient.added_at)}};
}

}  // namespace mgw::controlplane::api_json
