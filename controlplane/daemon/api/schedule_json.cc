#include "schedule_json.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <set>
#include <string>

#include "api_json.h"
#include "mgw/service/service_error.h"

namespace mgw::controlplane::schedule_json {
namespace {

namespace json = boost::json;
using service::ErrorKind;
using service::ServiceError;

ServiceError FieldError(std::string_view type, const char* title, std::string_view field,
                        std::string detail) {
  ServiceError error(ErrorKind::kUnprocessable, std::string(type), title, std::move(detail));
  error.WithField(std::string(field));
  return error;
}

ServiceError Invalid(std::string_view field, std::string detail) {
  return FieldError(service::problem::kInvalidField, "Invalid field", field, std::move(detail));
}

json::object ParseObject(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return {};
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) {
    throw ServiceError(ErrorKind::kInvalidRequest, std::string(service::problem::kMalformedJson),
                       "Malformed JSON", fmt::format("the body is not JSON: {}", ec.message()));
  }
  if (!value.is_object()) {
    throw ServiceError(ErrorKind::kUnprocessable, std::string(service::problem::kInvalidField),
                       "Invalid body", "the body must be a JSON object");
  }
  return std::move(value.as_object());
}

// Reads the named members of one object strictly; `path` names it in messages ("participants[1]").
class Fields {
 public:
  Fields(const json::object& object, std::string path) : object_(object), path_(std::move(path)) {}

  std::string Name(std::string_view field) const {
    return path_.empty() ? std::string(field) : fmt::format("{}.{}", path_, field);
  }
  const json::value* Get(std::string_view field, bool required = false) {
    read_.emplace(field);
    const json::value* value = object_.if_contains(field);
    if (!value && required) {
      throw FieldError(service::problem::kMissingField, "Missing field", Name(field),
                       fmt::format("the body needs the field \"{}\"", Name(field)));
    }
    return value;
  }
  std::optional<std::string> String(std::string_view field, bool required = false) {
    const json::value* value = Get(field, required);
    if (!value) return std::nullopt;
    if (!value->is_string())
      throw Invalid(Name(field), fmt::format("\"{}\" must be a string", Name(field)));
    return std::string(value->as_string());
  }
  std::optional<std::int64_t> Int(std::string_view field) {
    const json::value* value = Get(field);
    if (!value) return std::nullopt;
    if (value->is_int64()) return value->as_int64();
    if (value->is_uint64() && value->as_uint64() <= INT64_MAX) {
      return static_cast<std::int64_t>(value->as_uint64());
    }
    throw Invalid(Name(field), fmt::format("\"{}\" must be an integer", Name(field)));
  }
  std::optional<storage::TimePoint> Time(std::string_view field) {
    std::optional<std::string> text = String(field);
    if (!text) return std::nullopt;
    std::optional<storage::TimePoint> time = ParseTime(*text);
    if (!time) {
      throw Invalid(Name(field), fmt::format("\"{}\" must be an RFC 3339 date-time such as "
                                             "2030-03-17T17:46:40Z",
                                             Name(field)));
    }
    return time;
  }
  void RejectUnknown() const {
    for (const auto& [key, value] : object_) {
      if (!read_.contains(std::string_view(key))) {
        throw FieldError(service::problem::kUnknownField, "Unknown field", Name(key),
                         fmt::format("this request has no field \"{}\"", Name(key)));
      }
    }
  }

 private:
  const json::object& object_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

std::vector<service::ScheduleParticipantInput> ReadParticipants(Fields& body, bool with_ids,
                                                                bool required) {
  std::vector<service::ScheduleParticipantInput> out;
  const json::value* value = body.Get("participants", required);
  if (!value) return out;
  if (!value->is_array()) throw Invalid("participants", "\"participants\" must be an array");
  std::size_t index = 0;
  for (const json::value& item : value->as_array()) {
    const std::string path = fmt::format("participants[{}]", index++);
    if (!item.is_object()) throw Invalid(path, fmt::format("\"{}\" must be an object", path));
    Fields fields(item.as_object(), path);
    service::ScheduleParticipantInput input;
    if (with_ids) input.id = fields.Int("id");
    input.email = *fields.String("email", true);
    input.name = fields.String("name");
    if (std::optional<std::string> role = fields.String("role")) {
      input.role = storage::ParseScheduleRole(*role);
      if (!input.role) throw Invalid(fields.Name("role"), "role must be host or guest");
    }
    fields.RejectUnknown();
    out.push_back(std::move(input));
  }
  return out;
}

bool ReadDigits(std::string_view text, std::size_t at, std::size_t count, int& out) {
  if (at + count > text.size()) return false;
  auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + count, out);
  return ec == std::errc() && end == text.data() + at + count;
}

}  // namespace

std::optional<storage::TimePoint> ParseTime(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || !ReadDigits(text, 0, 4, year) || text[4] != '-' ||
      !ReadDigits(text, 5, 2, month) || text[7] != '-' || !ReadDigits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !ReadDigits(text, 11, 2, hour) || text[13] != ':' ||
      !ReadDigits(text, 14, 2, minute) || text[16] != ':' || !ReadDigits(text, 17, 2, second)) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::int64_t millis = 0;
  if (at < text.size() && text[at] == '.') {
    std::size_t digits = 0;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
      if (digits < 3) millis = millis * 10 + (text[at] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  int offset_minutes = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z') && at + 1 == text.size()) {
    // UTC
  } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && text[at + 3] == ':') {
    int oh = 0, om = 0;
    if (!ReadDigits(text, at + 1, 2, oh) || !ReadDigits(text, at + 4, 2, om) || oh > 23 ||
        om > 59) {
      return std::nullopt;
    }
    offset_minutes = (text[at] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const auto time = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                    std::chrono::minutes(minute - offset_minutes) + std::chrono::seconds(second) +
                    std::chrono::milliseconds(millis);
  return std::chrono::time_point_cast<storage::TimePoint::duration>(time);
}

service::CreateScheduleRequest ReadCreate(std::string_view body) {
  json::object object = ParseObject(body);
  Fields fields(object, "");
  service::CreateScheduleRequest request;
  request.title = fields.String("title").value_or("");
  request.starts_at = fields.Time("starts_at");
  if (!request.starts_at) fields.Get("starts_at", true);  // missing: 422 naming it
  request.ends_at = fields.Time("ends_at");
  request.duration_seconds = fields.Int("duration");
  request.participants = ReadParticipants(fields, false, true);
  fields.RejectUnknown();
  return request;
}

service::UpdateScheduleRequest ReadUpdate(std::string_view body) {
  json::object object = ParseObject(body);
  Fields fields(object, "");
  service::UpdateScheduleRequest request;
  request.title = fields.String("title");
  request.starts_at = fields.Time("starts_at");
  request.ends_at = fields.Time("ends_at");
  request.duration_seconds = fields.Int("duration");
  request.participants = ReadParticipants(fields, true, false);
  fields.RejectUnknown();
  return request;
}

boost::json::object Schedule(const service::ScheduleView& view) {
  const storage::Schedule& s = view.schedule;
  json::array participants;
  for (std::size_t i = 0; i < s.participants.size(); ++i) {
    const storage::ScheduleParticipant& p = s.participants[i];
    json::object item{{"id", p.id},
                      {"email", p.email},
                      {"name", p.name},
                      {"role", storage::ToString(p.role)},
                      {"invitation_sent", p.invitation_sent}};
    item["invitation_sent_at"] =
        p.invitation_sent_at ? json::value(api_json::Time(*p.invitation_sent_at)) : nullptr;
    if (i < view.join_links.size()) item["join_link"] = view.join_links[i];
    participants.push_back(std::move(item));
  }
  json::array aliases;
  for (const std::string& alias : view.aliases) aliases.push_back(json::string(alias));
  json::object out{{"id", s.id},
                   {"title", s.title},
                   {"starts_at", api_json::Time(s.starts_at)},
                   {"ends_at", api_json::Time(s.ends_at)},
                   {"status", storage::ToString(s.status)},
                   {"conference_name", s.conference_name},
                   {"conference_deleted", s.conference_deleted},
                   {"aliases", std::move(aliases)},
                   {"participants", std::move(participants)},
                   {"created_at", api_json::Time(s.created_at)},
                   {"updated_at", api_json::Time(s.updated_at)}};
  out["conference_id"] = s.conference_id ? json::value(*s.conference_id) : nullptr;
  out["alias_number"] = s.alias_number ? json::value(*s.alias_number) : nullptr;
  out["host_pin"] = s.host_pin ? json::value(*s.host_pin) : nullptr;
  out["guest_pin"] = s.guest_pin ? json::value(*s.guest_pin) : nullptr;
  out["conference_deleted_at"] =
      s.conference_deleted_at ? json::value(api_json::Time(*s.conference_deleted_at)) : nullptr;
  return out;
}

}  // namespace mgw::controlplane::schedule_json
