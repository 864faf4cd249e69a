#include "api_json.h"

#include <fmt/format.h>

#include <ctime>

namespace mgw::controlplane::api_json {

namespace {

// The old way, for years outside 0000-9999 (which the fixed-width path cannot write).
std::string FormatTime(std::int64_t millis) {
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     millis % 1000);
}

void Digits(char* out, std::int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

// Every resource the API returns carries a time or two, so this is on the path of every GET:
// the calendar date from the day number (H. Hinnant's civil_from_days) and fixed-width digits,
// instead of gmtime_r and a format string parsed per call.
std::string Time(storage::TimePoint time) {
  const std::int64_t millis = storage::ToUnixMillis(time);
  if (millis < 0) return FormatTime(millis);
  const std::int64_t seconds = millis / 1000;
  const std::int64_t days = seconds / 86400;
  const std::int64_t of_day = seconds % 86400;
  const std::int64_t z = days + 719468;
  const std::int64_t era = z / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year > 9999) return FormatTime(millis);
  std::string out = "0000-00-00T00:00:00.000Z";
  Digits(&out[0], year, 4);
  Digits(&out[5], month, 2);
  Digits(&out[8], day, 2);
  Digits(&out[11], of_day / 3600, 2);
  Digits(&out[14], of_day / 60 % 60, 2);
  Digits(&out[17], of_day % 60, 2);
  Digits(&out[20], millis % 1000, 3);
  return out;
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
