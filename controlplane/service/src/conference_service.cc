#include "mgw/service/conference_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <set>
#include <utility>

#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"

namespace mgw::service {
namespace {

namespace json = boost::json;
using FieldErrors = ConferenceValidationError::FieldErrors;

constexpr std::string_view kConferencePath = "/api/admin/configuration/v1/conference/";
constexpr std::string_view kAliasPath = "/api/admin/configuration/v1/conference_alias/";

// Django's messages, which Pexip's API returns.
constexpr const char* kRequired = "This field is required.";
constexpr const char* kNotNull = "This field cannot be null.";
constexpr const char* kBlank = "This field cannot be blank.";
constexpr const char* kNameTaken = "Conference with this Name already exists.";
constexpr const char* kAliasTaken = "Conference alias with this Alias already exists.";

const std::vector<std::string_view> kLayouts = {"one_main_zero_pips",
                                                "one_main_seven_pips",
                                                "one_main_twentyone_pips",
                                                "two_mains_twentyone_pips",
                                                "one_main_thirtythree_pips",
                                                "four_mains_zero_pips",
                                                "nine_mains_zero_pips",
                                                "sixteen_mains_zero_pips",
                                                "twentyfive_mains_zero_pips",
                                                "five_mains_seven_pips",
                                                "one_main_nine_around",
                                                "one_main_twelve_around",
                                                "ac",
                                                "teams"};

// The string fields kept in `settings` (name, description and tag have columns of their own).
struct StringField {
  const char* name;
  std::string Conference::*member;
  std::size_t max_length;
  std::vector<std::string_view> choices;  // empty: any text
  bool null_means_empty = false;
};

const std::vector<StringField>& StringFields() {
  static const std::vector<StringField> fields = {
      {"call_type", &Conference::call_type, 20, {"video", "video-only", "audio"}},
      {"crypto_mode", &Conference::crypto_mode, 20, {"", "besteffort", "on", "off"}, true},
      {"direct_media", &Conference::direct_media, 20, {"never", "best_effort", "always"}},
      {"enable_chat", &Conference::enable_chat, 20, {"default", "yes", "no"}},
      {"guest_pin", &Conference::guest_pin, 20, {}},
      {"guests_can_see_guests",
       &Conference::guests_can_see_guests,
       20,
       {"no_hosts", "always", "never"}},
      {"host_view", &Conference::host_view, 40, kLayouts},
      {"live_captions_enabled", &Conference::live_captions_enabled, 20, {"default", "yes", "no"}},
      {"match_string", &Conference::match_string, 250, {}},
      {"non_idp_participants",
       &Conference::non_idp_participants,
       40,
       {"disallow_all", "allow_if_trusted"}},
      {"pin", &Conference::pin, 20, {}},
      {"post_match_string", &Conference::post_match_string, 250, {}},
      {"post_replace_string", &Conference::post_replace_string, 250, {}},
      {"primary_owner_email_address", &Conference::primary_owner_email_address, 100, {}},
      {"replace_string", &Conference::replace_string, 250, {}},
      {"service_type",
       &Conference::service_type,
       40,
       {"conference", "lecture", "two_stage_dialing", "test_call"}},
      {"sync_tag", &Conference::sync_tag, 250, {}},
      {"two_stage_dial_type",
       &Conference::two_stage_dial_type,
       20,
       {"regular", "mssip", "gms", "msteams"}},
  };
  return fields;
}

struct BoolField {
  const char* name;
  bool Conference::*member;
};

const std::vector<BoolField>& BoolFields() {
  static const std::vector<BoolField> fields = {
      {"allow_guests", &Conference::allow_guests},
      {"enable_active_speaker_indication", &Conference::enable_active_speaker_indication},
      {"enable_overlay_text", &Conference::enable_overlay_text},
      {"force_presenter_into_main", &Conference::force_presenter_into_main},
      {"guests_can_present", &Conference::guests_can_present},
      {"mute_all_guests", &Conference::mute_all_guests},
      {"softmute_enabled", &Conference::softmute_enabled},
  };
  return fields;
}

struct IntField {
  const char* name;
  std::optional<std::int64_t> Conference::*optional_member;  // set for nullable fields
  std::int64_t Conference::*member;                          // set for the others
  std::int64_t min;
  std::int64_t max;
};

const std::vector<IntField>& IntFields() {
  static const std::vector<IntField> fields = {
      {"direct_media_notification_duration", nullptr,
       &Conference::direct_media_notification_duration, 0, 30},
      {"max_callrate_in", &Conference::max_callrate_in, nullptr, 128000, 8192000},
      {"max_callrate_out", &Conference::max_callrate_out, nullptr, 128000, 8192000},
      {"participant_limit", &Conference::participant_limit, nullptr, 0, 1000000},
  };
  return fields;
}

// Pexip fields naming resources mgw does not have: accepted as null (or an empty list) only.
const std::set<std::string_view>& NullOnlyFields() {
  static const std::set<std::string_view> fields = {"gms_access_token",
                                                    "guest_identity_provider_group",
                                                    "host_identity_provider_group",
                                                    "ivr_theme",
                                                    "media_playlist",
                                                    "mssip_proxy",
                                                    "on_completion",
                                                    "pinning_config",
                                                    "system_location",
                                                    "teams_proxy"};
  return fields;
}

// Read-only fields a client may send back unchanged (GET, edit, PATCH); they are ignored.
const std::set<std::string_view>& ReadOnlyFields() {
  static const std::set<std::string_view> fields = {"id", "resource_uri", "creation_time",
                                                    "scheduled_conferences",
                                                    "scheduled_conferences_count"};
  return fields;
}

std::string Shown(const json::value& value) {
  if (value.is_string()) return std::string(value.get_string());
  return json::serialize(value);
}

void AddError(FieldErrors& errors, const std::string& field, std::string message) {
  errors[field].push_back(std::move(message));
}

// A string of at most `max_length` characters (code points, as Django counts them).
std::optional<std::string> ReadString(const json::value& value, const std::string& field,
                                      std::size_t max_length, FieldErrors& errors) {
  if (!value.is_string()) {
    AddError(errors, field, value.is_null() ? kNotNull : "This field must be a string.");
    return std::nullopt;
  }
  std::string text(value.get_string());
  std::size_t characters = 0;
  for (unsigned char c : text) characters += (c & 0xC0) != 0x80;
  if (characters > max_length) {
    AddError(errors, field,
             fmt::format("Ensure this value has at most {} characters (it has {}).", max_length,
                         characters));
    return std::nullopt;
  }
  return text;
}

std::optional<std::int64_t> ReadInt(const json::value& value, const std::string& field,
                                    std::int64_t min, std::int64_t max, FieldErrors& errors) {
  std::optional<std::int64_t> number;
  if (value.is_int64()) number = value.get_int64();
  if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(max)) {
    number = static_cast<std::int64_t>(value.get_uint64());
  }
  if (!number) {
    AddError(errors, field, fmt::format("'{}' value must be an integer.", Shown(value)));
    return std::nullopt;
  }
  if (*number < min) {
    AddError(errors, field, fmt::format("Ensure this value is greater than or equal to {}.", min));
    return std::nullopt;
  }
  if (*number > max) {
    AddError(errors, field, fmt::format("Ensure this value is less than or equal to {}.", max));
    return std::nullopt;
  }
  return number;
}

struct AliasInput {
  std::string alias;
  std::string description;
};

// `aliases`: [{"alias": "...", "description": "..."}]; the read-only members of an alias read back
// from GET are ignored.
std::optional<std::vector<AliasInput>> ReadAliases(const json::value& value, FieldErrors& errors) {
  if (!value.is_array()) {
    AddError(errors, "aliases", "Expected a list of alias objects.");
    return std::nullopt;
  }
  std::vector<AliasInput> aliases;
  std::set<std::string> seen;
  bool ok = true;
  for (const json::value& item : value.get_array()) {
    if (!item.is_object()) {
      AddError(errors, "aliases", "Each alias must be an object with an \"alias\" member.");
      ok = false;
      continue;
    }
    const json::object& object = item.get_object();
    AliasInput input;
    FieldErrors item_errors;
    for (const auto& [key, member] : object) {
      if (key == "alias") {
        if (auto text =
                ReadString(member, "alias", ConferenceService::kMaxAliasLength, item_errors)) {
          input.alias = *text;
          if (input.alias.empty()) AddError(item_errors, "alias", kBlank);
        }
      } else if (key == "description") {
        if (auto text = ReadString(member, "description", ConferenceService::kMaxDescriptionLength,
                                   item_errors)) {
          input.description = *text;
        }
      } else if (key != "conference" && key != "id" && key != "resource_uri" &&
                 key != "creation_time") {
        AddError(item_errors, std::string(key), "Unknown field.");
      }
    }
    if (!object.contains("alias")) AddError(item_errors, "alias", kRequired);
    for (const auto& [field, messages] : item_errors) {
      for (const std::string& message : messages) {
        AddError(errors, "aliases", fmt::format("{}: {}", field, message));
      }
    }
    if (!item_errors.empty()) {
      ok = false;
      continue;
    }
    if (!seen.insert(input.alias).second) {
      AddError(errors, "aliases", fmt::format("alias '{}' is given twice.", input.alias));
      ok = false;
      continue;
    }
    aliases.push_back(std::move(input));
  }
  if (!ok) return std::nullopt;
  return aliases;
}

// 4 to 20 characters: digits, optionally ending in one '#'.
bool ValidPin(std::string_view pin) {
  if (pin.size() < 4 || pin.size() > 20) return false;
  std::string_view digits = pin.ends_with('#') ? pin.substr(0, pin.size() - 1) : pin;
  return !digits.empty() &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void CheckPins(const Conference& conference, FieldErrors& errors) {
  constexpr const char* kPinForm =
      "A PIN must be 4 to 20 digits, including any terminal #, and contain only digits 0-9 "
      "before it.";
  const std::string& pin = conference.pin;
  const std::string& guest_pin = conference.guest_pin;
  bool ok = true;
  if (!pin.empty() && !ValidPin(pin)) {
    AddError(errors, "pin", kPinForm);
    ok = false;
  }
  if (!guest_pin.empty() && !ValidPin(guest_pin)) {
    AddError(errors, "guest_pin", kPinForm);
    ok = false;
  }
  if (!ok || guest_pin.empty()) return;
  if (pin.empty()) {
    AddError(errors, "guest_pin", "A Guest PIN can only be set when there is also a Host PIN.");
  } else if (pin == guest_pin) {
    AddError(errors, "guest_pin", "The Host PIN and the Guest PIN must be different.");
  } else if (pin.size() != guest_pin.size() && (!pin.ends_with('#') || !guest_pin.ends_with('#'))) {
    AddError(errors, "guest_pin",
             "PINs of different lengths must both end in #, so callers can finish either.");
  }
}

// Applies Pexip's fields to `conference`, collecting every problem. `aliases` is set when the
// request names them.
void ApplyFields(Conference& conference, const json::object& fields, FieldErrors& errors,
                 std::optional<std::vector<AliasInput>>& aliases) {
  for (const auto& [key_view, value] : fields) {
    const std::string key(key_view);
    if (key == "name") {
      if (auto text = ReadString(value, key, ConferenceService::kMaxNameLength, errors)) {
        if (text->empty()) {
          AddError(errors, key, kBlank);
        } else {
          conference.name = *text;
        }
      }
      continue;
    }
    if (key == "description" || key == "tag") {
      const std::size_t max = key == "tag" ? 250 : ConferenceService::kMaxDescriptionLength;
      if (auto text = ReadString(value, key, max, errors)) {
        (key == "tag" ? conference.tag : conference.description) = *text;
      }
      continue;
    }
    if (key == "aliases") {
      aliases = ReadAliases(value, errors);
      continue;
    }
    if (key == "guest_view") {
      if (value.is_null()) {
        conference.guest_view.reset();
      } else if (auto text = ReadString(value, key, 40, errors)) {
        if (std::find(kLayouts.begin(), kLayouts.end(), *text) == kLayouts.end()) {
          AddError(errors, key, fmt::format("Value '{}' is not a valid choice.", *text));
        } else {
          conference.guest_view = *text;
        }
      }
      continue;
    }
    if (key == "automatic_participants") {
      if (!value.is_array() || !value.get_array().empty()) {
        AddError(errors, key, "mgw has no automatically dialled participants; send [].");
      }
      continue;
    }
    if (ReadOnlyFields().contains(key)) continue;
    if (NullOnlyFields().contains(key)) {
      if (!value.is_null()) AddError(errors, key, "mgw has no such resource; send null.");
      continue;
    }
    bool known = false;
    for (const StringField& field : StringFields()) {
      if (key != field.name) continue;
      known = true;
      if (value.is_null() && field.null_means_empty) {
        conference.*field.member = "";
      } else if (auto text = ReadString(value, key, field.max_length, errors)) {
        if (!field.choices.empty() &&
            std::find(field.choices.begin(), field.choices.end(), *text) == field.choices.end()) {
          AddError(errors, key, fmt::format("Value '{}' is not a valid choice.", *text));
        } else {
          conference.*field.member = *text;
        }
      }
    }
    for (const BoolField& field : BoolFields()) {
      if (key != field.name) continue;
      known = true;
      if (value.is_bool()) {
        conference.*field.member = value.get_bool();
      } else {
        AddError(errors, key,
                 fmt::format("'{}' value must be either True or False.", Shown(value)));
      }
    }
    for (const IntField& field : IntFields()) {
      if (key != field.name) continue;
      known = true;
      if (value.is_null()) {
        if (field.optional_member) {
          conference.*field.optional_member = std::nullopt;
        } else {
          AddError(errors, key, kNotNull);
        }
      } else if (auto number = ReadInt(value, key, field.min, field.max, errors)) {
        if (field.optional_member) {
          conference.*field.optional_member = number;
        } else {
          conference.*field.member = *number;
        }
      }
    }
    if (!known) AddError(errors, key, "Unknown field.");
  }
  if (const std::string& email = conference.primary_owner_email_address;
      !email.empty() &&
      (email.find('@') == std::string::npos || email.front() == '@' || email.back() == '@')) {
    AddError(errors, "primary_owner_email_address", "Enter a valid email address.");
  }
  CheckPins(conference, errors);
}

json::object SettingsOf(const Conference& conference) {
  json::object settings;
  for (const StringField& field : StringFields()) settings[field.name] = conference.*field.member;
  for (const BoolField& field : BoolFields()) settings[field.name] = conference.*field.member;
  for (const IntField& field : IntFields()) {
    if (field.optional_member) {
      const auto& value = conference.*field.optional_member;
      settings[field.name] = value ? json::value(*value) : json::value(nullptr);
    } else {
      settings[field.name] = conference.*field.member;
    }
  }
  settings["guest_view"] =
      conference.guest_view ? json::value(*conference.guest_view) : json::value(nullptr);
  return settings;
}

// Fields missing from stored settings (written by an older binary) keep their defaults.
void ReadSettings(Conference& conference, std::string_view text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) {
    throw storage::StorageError(
        storage::StorageErrorKind::kInternal,
        fmt::format("conference {}: settings are not a JSON object", conference.id));
  }
  const json::object& settings = parsed.get_object();
  for (const StringField& field : StringFields()) {
    if (auto* v = settings.if_contains(field.name); v && v->is_string()) {
      conference.*field.member = std::string(v->get_string());
    }
  }
  for (const BoolField& field : BoolFields()) {
    if (auto* v = settings.if_contains(field.name); v && v->is_bool()) {
      conference.*field.member = v->get_bool();
    }
  }
  for (const IntField& field : IntFields()) {
    const json::value* v = settings.if_contains(field.name);
    if (!v) continue;
    if (field.optional_member) {
      conference.*field.optional_member =
          v->is_int64() ? std::optional<std::int64_t>(v->get_int64()) : std::nullopt;
    } else if (v->is_int64()) {
      conference.*field.member = v->get_int64();
    }
  }
  if (auto* v = settings.if_contains("guest_view")) {
    conference.guest_view =
        v->is_string() ? std::optional<std::string>(std::string(v->get_string())) : std::nullopt;
  }
}

ConferenceAlias AliasOf(const storage::ConferenceAliasRow& row) {
  return ConferenceAlias{.id = row.id,
                         .conference_id = row.conference_id,
                         .alias = row.alias,
                         .description = row.description,
                         .creation_time = row.created_at};
}

Conference ConferenceOf(const storage::ConferenceRow& row) {
  Conference conference;
  conference.id = row.id;
  conference.name = row.name;
  conference.description = row.description;
  conference.tag = row.tag;
  conference.creation_time = row.created_at;
  conference.meeting_id = row.meeting_id;
  ReadSettings(conference, row.settings);
  for (const storage::ConferenceAliasRow& alias : row.aliases) {
    conference.aliases.push_back(AliasOf(alias));
  }
  return conference;
}

storage::NewConference RowOf(const Conference& conference) {
  return {.name = conference.name,
          .description = conference.description,
          .tag = conference.tag,
          .settings = json::serialize(SettingsOf(conference))};
}

ServiceError NotFound(std::string_view what, std::int64_t id) {
  return ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                      fmt::format("no {} {}", what, id));
}

std::string Summary(const FieldErrors& errors) {
  std::string text;
  for (const auto& [field, messages] : errors) {
    for (const std::string& message : messages) {
      if (!text.empty()) text += "; ";
      text += fmt::format("{}: {}", field, message);
    }
  }
  return text;
}

// Pexip's read and write access: an administrator's account, with the scope the operation needs.
void RequireConferenceAccess(const Caller& caller, storage::ApiKeyScope needed) {
  RequireScope(caller, needed);
  if (caller.role != storage::Role::kAdmin) {
    throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                       "only administrators may manage conferences");
  }
}

// A unique violation that the checks before the write did not see: another request took the name
// or an alias in between.
[[noreturn]] void ThrowRaced(const std::string& resource) {
  throw ConferenceValidationError(
      resource,
      {{"__all__", {"A conference with this name or alias was created at the same time; retry."}}});
}

// "/api/admin/configuration/v1/conference/12/", "12" or 12 → 12.
std::optional<std::int64_t> IdFromReference(const json::value& value, std::string_view path) {
  if (value.is_int64() && value.get_int64() > 0) return value.get_int64();
  if (!value.is_string()) return std::nullopt;
  std::string_view text = value.get_string();
  if (text.starts_with(path)) text.remove_prefix(path.size());
  if (text.ends_with('/')) text.remove_suffix(1);
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

std::string IsoTime(storage::TimePoint time) {
  const auto millis = std::chrono::time_point_cast<std::chrono::milliseconds>(time);
  const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(millis);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}000", seconds,
                     static_cast<int>((millis - seconds).count()));
}

}  // namespace

ConferenceValidationError::ConferenceValidationError(std::string resource, FieldErrors errors)
    : ServiceError(ErrorKind::kInvalidRequest, std::string(problem::kInvalidField), "Invalid field",
                   Summary(errors)),
      resource_(std::move(resource)),
      errors_(std::move(errors)) {}

ConferenceValidationError& ConferenceValidationError::WithObjectIndex(std::size_t index) {
  object_index_ = index;
  return *this;
}

std::string ConferenceResourceUri(std::int64_t id) {
  return fmt::format("{}{}/", kConferencePath, id);
}

std::string ConferenceAliasResourceUri(std::int64_t id) {
  return fmt::format("{}{}/", kAliasPath, id);
}

boost::json::object ConferenceAliasToPexipJson(const ConferenceAlias& alias) {
  return {{"alias", alias.alias},
          {"conference", ConferenceResourceUri(alias.conference_id)},
          {"creation_time", IsoTime(alias.creation_time)},
          {"description", alias.description},
          {"id", alias.id},
          {"resource_uri", ConferenceAliasResourceUri(alias.id)}};
}

boost::json::object ConferenceToPexipJson(const Conference& conference) {
  json::object out = SettingsOf(conference);
  json::array aliases;
  for (const ConferenceAlias& alias : conference.aliases) {
    aliases.push_back(ConferenceAliasToPexipJson(alias));
  }
  out["aliases"] = std::move(aliases);
  out["automatic_participants"] = json::array();
  out["creation_time"] = IsoTime(conference.creation_time);
  out["description"] = conference.description;
  out["id"] = conference.id;
  out["name"] = conference.name;
  out["resource_uri"] = ConferenceResourceUri(conference.id);
  out["scheduled_conferences"] = json::array();
  out["scheduled_conferences_count"] = 0;
  out["tag"] = conference.tag;
  for (std::string_view field : NullOnlyFields()) out[field] = nullptr;
  return out;
}

Conference ConferenceService::Create(const Caller& caller, const boost::json::object& fields) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kWrite);
  try {
    return storage::InTransaction(db_,
                                  [&](storage::Transaction& tx) { return Create(tx, fields); });
  } catch (const storage::StorageError& e) {
    if (e.kind() == storage::StorageErrorKind::kUniqueViolation) ThrowRaced("conference");
    throw;
  }
}

namespace {

// Writes `conference` (new when id is 0) and makes its aliases `aliases` when given, after
// checking names and aliases against the others; throws ConferenceValidationError.
Conference Save(storage::SqlExecutor& executor, storage::ConferenceStore& store,
                Conference conference, const std::optional<std::vector<AliasInput>>& aliases,
                FieldErrors errors) {
  if (!conference.name.empty() && !errors.contains("name")) {
    std::optional<storage::ConferenceRow> same = store.FindByName(executor, conference.name);
    if (same && same->id != conference.id) AddError(errors, "name", kNameTaken);
  }
  if (aliases) {
    for (const AliasInput& alias : *aliases) {
      std::optional<storage::ConferenceRow> owner = store.FindByAlias(executor, alias.alias);
      if (owner && owner->id != conference.id) {
        AddError(errors, "aliases", fmt::format("alias '{}': {}", alias.alias, kAliasTaken));
      }
    }
  }
  if (!errors.empty()) throw ConferenceValidationError("conference", std::move(errors));
  std::int64_t id = conference.id;
  if (id == 0) {
    id = store.Create(executor, RowOf(conference)).id;
  } else if (!store.Update(executor, id, RowOf(conference))) {
    throw NotFound("conference", id);
  }
  if (aliases) {
    // Aliases kept by text keep their ids; the others go, and the new ones are added.
    std::set<std::string> wanted;
    for (const AliasInput& alias : *aliases) wanted.insert(alias.alias);
    std::map<std::string, storage::ConferenceAliasRow> existing;
    for (const ConferenceAlias& alias : conference.aliases) {
      if (!wanted.contains(alias.alias)) {
        store.DeleteAlias(executor, alias.id);
      } else {
        existing[alias.alias] = {.id = alias.id,
                                 .conference_id = id,
                                 .alias = alias.alias,
                                 .description = alias.description,
                                 .created_at = alias.creation_time};
      }
    }
    for (const AliasInput& alias : *aliases) {
      if (auto it = existing.find(alias.alias); it != existing.end()) {
        it->second.description = alias.description;
        store.UpdateAlias(executor, it->second);
      } else {
        store.AddAlias(executor, id, alias.alias, alias.description);
      }
    }
  }
  return ConferenceOf(*store.Find(executor, id));
}

}  // namespace

Conference ConferenceService::Create(storage::SqlExecutor& executor,
                                     const boost::json::object& fields) {
  Conference conference;
  FieldErrors errors;
  std::optional<std::vector<AliasInput>> aliases;
  ApplyFields(conference, fields, errors, aliases);
  if (!fields.contains("name")) AddError(errors, "name", kRequired);
  return Save(executor, conferences_, std::move(conference), aliases, std::move(errors));
}

Conference ConferenceService::Update(const Caller& caller, std::int64_t id,
                                     const boost::json::object& fields) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kWrite);
  try {
    return storage::InTransaction(db_,
                                  [&](storage::Transaction& tx) { return Update(tx, id, fields); });
  } catch (const storage::StorageError& e) {
    if (e.kind() == storage::StorageErrorKind::kUniqueViolation) ThrowRaced("conference");
    throw;
  }
}

Conference ConferenceService::Update(storage::SqlExecutor& executor, std::int64_t id,
                                     const boost::json::object& fields) {
  std::optional<storage::ConferenceRow> row = conferences_.Find(executor, id);
  if (!row) throw NotFound("conference", id);
  Conference conference = ConferenceOf(*row);
  FieldErrors errors;
  std::optional<std::vector<AliasInput>> aliases;
  ApplyFields(conference, fields, errors, aliases);
  return Save(executor, conferences_, std::move(conference), aliases, std::move(errors));
}

std::vector<Conference> ConferenceService::Bulk(const Caller& caller,
                                                const boost::json::array& objects) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kWrite);
  try {
    return storage::InTransaction(db_, [&](storage::Transaction& tx) {
      std::vector<Conference> result;
      for (std::size_t i = 0; i < objects.size(); ++i) {
        try {
          if (!objects[i].is_object()) {
            throw ConferenceValidationError("conference",
                                            {{"__all__", {"Each object must be a JSON object."}}});
          }
          const json::object& object = objects[i].get_object();
          const json::value* reference = object.if_contains("resource_uri");
          if (!reference) reference = object.if_contains("id");
          if (!reference) {
            result.push_back(Create(tx, object));
            continue;
          }
          std::optional<std::int64_t> id = IdFromReference(*reference, kConferencePath);
          if (!id) {
            throw ConferenceValidationError(
                "conference", {{"resource_uri", {"Not a conference's resource URI."}}});
          }
          result.push_back(Update(tx, *id, object));
        } catch (ConferenceValidationError& e) {
          e.WithObjectIndex(i);
          throw;
        }
      }
      return result;
    });
  } catch (const storage::StorageError& e) {
    if (e.kind() == storage::StorageErrorKind::kUniqueViolation) ThrowRaced("conference");
    throw;
  }
}

std::optional<Conference> ConferenceService::Find(const Caller& caller, std::int64_t id) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kRead);
  return Find(db_, id);
}

std::optional<Conference> ConferenceService::Find(storage::SqlExecutor& executor, std::int64_t id) {
  std::optional<storage::ConferenceRow> row = conferences_.Find(executor, id);
  if (!row) return std::nullopt;
  return ConferenceOf(*row);
}

std::optional<Conference> ConferenceService::FindByName(const Caller& caller,
                                                        std::string_view name) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kRead);
  return FindByName(db_, name);
}

std::optional<Conference> ConferenceService::FindByName(storage::SqlExecutor& executor,
                                                        std::string_view name) {
  std::optional<storage::ConferenceRow> row = conferences_.FindByName(executor, name);
  if (!row) return std::nullopt;
  return ConferenceOf(*row);
}

std::optional<Conference> ConferenceService::FindByAlias(const Caller& caller,
                                                         std::string_view alias) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kRead);
  return FindByAlias(db_, alias);
}

std::optional<Conference> ConferenceService::FindByAlias(storage::SqlExecutor& executor,
                                                         std::string_view alias) {
  std::optional<storage::ConferenceRow> row = conferences_.FindByAlias(executor, alias);
  if (!row) return std::nullopt;
  return ConferenceOf(*row);
}

Page<Conference> ConferenceService::List(const Caller& caller, const ConferenceFilter& filter,
                                         const PageRequest& page) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kRead);
  storage::ConferencePage rows = conferences_.List(db_, filter, page.limit, page.offset);
  Page<Conference> result{{}, rows.total, page.limit, page.offset};
  for (const storage::ConferenceRow& row : rows.items) result.items.push_back(ConferenceOf(row));
  return result;
}

bool ConferenceService::Delete(const Caller& caller, std::int64_t id) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kWrite);
  return storage::InTransaction(db_, [&](storage::Transaction& tx) { return Delete(tx, id); });
}

bool ConferenceService::Delete(storage::SqlExecutor& executor, std::int64_t id) {
  return conferences_.Delete(executor, id);
}

ConferenceAlias ConferenceService::CreateAlias(const Caller& caller,
                                               const boost::json::object& fields) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kWrite);
  FieldErrors errors;
  std::string alias;
  std::string description;
  std::optional<std::int64_t> conference_id;
  for (const auto& [key, value] : fields) {
    if (key == "alias") {
      if (auto text = ReadString(value, "alias", kMaxAliasLength, errors)) {
        alias = *text;
        if (alias.empty()) AddError(errors, "alias", kBlank);
      }
    } else if (key == "description") {
      if (auto text = ReadString(value, "description", kMaxDescriptionLength, errors)) {
        description = *text;
      }
    } else if (key == "conference") {
      conference_id = IdFromReference(value, kConferencePath);
      if (!conference_id) AddError(errors, "conference", "Not a conference's resource URI.");
    } else if (!ReadOnlyFields().contains(key)) {
      AddError(errors, std::string(key), "Unknown field.");
    }
  }
  if (!fields.contains("alias")) AddError(errors, "alias", kRequired);
  if (!fields.contains("conference")) AddError(errors, "conference", kRequired);
  try {
    return storage::InTransaction(db_, [&](storage::Transaction& tx) {
      FieldErrors found = errors;
      if (conference_id && !conferences_.Find(tx, *conference_id)) {
        AddError(found, "conference", "No such conference.");
      }
      if (!alias.empty() && conferences_.FindByAlias(tx, alias)) {
        AddError(found, "alias", kAliasTaken);
      }
      if (!found.empty()) throw ConferenceValidationError("conference_alias", std::move(found));
      return AliasOf(conferences_.AddAlias(tx, *conference_id, alias, description));
    });
  } catch (const storage::StorageError& e) {
    if (e.kind() == storage::StorageErrorKind::kUniqueViolation) ThrowRaced("conference_alias");
    throw;
  }
}

std::optional<ConferenceAlias> ConferenceService::FindAlias(const Caller& caller,
                                                            std::int64_t alias_id) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kRead);
  std::optional<storage::ConferenceAliasRow> row = conferences_.FindAlias(db_, alias_id);
  if (!row) return std::nullopt;
  return AliasOf(*row);
}

Page<ConferenceAlias> ConferenceService::ListAliases(const Caller& caller,
                                                     std::optional<std::int64_t> conference_id,
                                                     std::optional<std::string> alias,
                                                     const PageRequest& page) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kRead);
  storage::AliasPage rows = conferences_.ListAliases(
      db_, conference_id, alias ? std::optional<std::string_view>(*alias) : std::nullopt,
      page.limit, page.offset);
  Page<ConferenceAlias> result{{}, rows.total, page.limit, page.offset};
  for (const storage::ConferenceAliasRow& row : rows.items) result.items.push_back(AliasOf(row));
  return result;
}

ConferenceAlias ConferenceService::UpdateAlias(const Caller& caller, std::int64_t alias_id,
                                               const boost::json::object& fields) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kWrite);
  try {
    return storage::InTransaction(db_, [&](storage::Transaction& tx) {
      std::optional<storage::ConferenceAliasRow> row = conferences_.FindAlias(tx, alias_id);
      if (!row) throw NotFound("conference alias", alias_id);
      FieldErrors errors;
      for (const auto& [key, value] : fields) {
        if (key == "alias") {
          if (auto text = ReadString(value, "alias", kMaxAliasLength, errors)) {
            if (text->empty()) {
              AddError(errors, "alias", kBlank);
            } else {
              row->alias = *text;
            }
          }
        } else if (key == "description") {
          if (auto text = ReadString(value, "description", kMaxDescriptionLength, errors)) {
            row->description = *text;
          }
        } else if (key == "conference") {
          std::optional<std::int64_t> id = IdFromReference(value, kConferencePath);
          if (!id) {
            AddError(errors, "conference", "Not a conference's resource URI.");
          } else if (!conferences_.Find(tx, *id)) {
            AddError(errors, "conference", "No such conference.");
          } else {
            row->conference_id = *id;
          }
        } else if (!ReadOnlyFields().contains(key)) {
          AddError(errors, std::string(key), "Unknown field.");
        }
      }
      if (!errors.contains("alias")) {
        std::optional<storage::ConferenceAliasRow> same;
        for (const storage::ConferenceAliasRow& other :
             conferences_.ListAliases(tx, std::nullopt, row->alias, 1, 0).items) {
          if (other.id != row->id) AddError(errors, "alias", kAliasTaken);
        }
      }
      if (!errors.empty()) throw ConferenceValidationError("conference_alias", std::move(errors));
      conferences_.UpdateAlias(tx, *row);
      return AliasOf(*conferences_.FindAlias(tx, alias_id));
    });
  } catch (const storage::StorageError& e) {
    if (e.kind() == storage::StorageErrorKind::kUniqueViolation) ThrowRaced("conference_alias");
    throw;
  }
}

bool ConferenceService::DeleteAlias(const Caller& caller, std::int64_t alias_id) {
  RequireConferenceAccess(caller, storage::ApiKeyScope::kWrite);
  return conferences_.DeleteAlias(db_, alias_id);
}

}  // namespace mgw::service
