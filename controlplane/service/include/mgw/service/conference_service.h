#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/service/caller.h"
#include "mgw/service/page.h"
#include "mgw/service/service_error.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/conference_store.h"
#include "mgw/storage/database.h"

namespace mgw::service {

struct ConferenceAlias {
  std::int64_t id = 0;
  std::int64_t conference_id = 0;
  std::string alias;
  std::string description;
  storage::TimePoint creation_time;
};

// A conference with Pexip's fields (its Virtual Meeting Room resource), Pexip's names and defaults.
// Fields naming other Pexip resources (ivr_theme, system_location, ...) are always null: mgw has
// none of those resources.
struct Conference {
  std::int64_t id = 0;
  std::string name;         // required, unique, up to 250 characters
  std::string description;  // up to 250
  std::vector<ConferenceAlias> aliases;
  bool allow_guests = false;
  std::string call_type = "video";  // video, video-only, audio
  storage::TimePoint creation_time;
  std::string crypto_mode;             // "" (the platform's default), besteffort, on, off
  std::string direct_media = "never";  // never, best_effort, always
  std::int64_t direct_media_notification_duration = 0;
  bool enable_active_speaker_indication = false;
  std::string enable_chat = "default";  // default, yes, no
  bool enable_overlay_text = false;
  bool force_presenter_into_main = false;
  std::string guest_pin;                  // "" or 4-20 digits, optionally ending in #
  std::optional<std::string> guest_view;  // a layout, or null: the same as host_view
  bool guests_can_present = true;
  std::string guests_can_see_guests = "no_hosts";  // no_hosts, always, never
  std::string host_view = "one_main_seven_pips";
  std::string live_captions_enabled = "default";  // default, yes, no
  std::string match_string;
  std::optional<std::int64_t> max_callrate_in;   // bps
  std::optional<std::int64_t> max_callrate_out;  // bps
  bool mute_all_guests = false;
  std::string non_idp_participants = "disallow_all";  // disallow_all, allow_if_trusted
  std::optional<std::int64_t> participant_limit;
  std::string pin;  // the host PIN: "" or 4-20 digits, optionally ending in #
  std::string post_match_string;
  std::string post_replace_string;
  std::string primary_owner_email_address;
  std::string replace_string;
  std::string service_type = "conference";  // conference, lecture, two_stage_dialing, test_call
  bool softmute_enabled = false;
  std::string sync_tag;
  std::string tag;
  std::string two_stage_dial_type = "regular";  // regular, mssip, gms, msteams
  std::optional<std::string> meeting_id;        // mgw's meeting running it, while one does
};

// Pexip's per-field validation messages, e.g. {"name": ["Conference with this Name already
// exists."]}; the Pexip adapter renders them as {"<resource>": {...}} with status 400. Other
// adapters see a ServiceError (kInvalidRequest, /problems/invalid-field) whose detail joins them.
class ConferenceValidationError : public ServiceError {
 public:
  using FieldErrors = std::map<std::string, std::vector<std::string>>;

  ConferenceValidationError(std::string resource, FieldErrors errors);

  const std::string& resource() const { return resource_; }  // "conference", "conference_alias"
  const FieldErrors& errors() const { return errors_; }
  // In a bulk request, the position of the object at fault in `objects`.
  std::optional<std::size_t> object_index() const { return object_index_; }
  ConferenceValidationError& WithObjectIndex(std::size_t index);

 private:
  std::string resource_;
  FieldErrors errors_;
  std::optional<std::size_t> object_index_;
};

using ConferenceFilter = storage::ConferenceFilter;

// Conferences and their aliases, with Pexip's validation: create and update take Pexip's JSON
// fields (unknown or read-only fields are refused, types are strict), so the HTTP adapter and a
// job creating conferences validate alike. Reading needs an administrator's account with read
// scope, changing it write scope (Pexip's API is an administrator's). The overloads taking a
// SqlExecutor skip the caller check and run in the caller's transaction (a job creating a
// conference together with its own bookkeeping). Thread-safe; throws ConferenceValidationError
// (400), ServiceError (404 kNotFound, 503) and nothing else for bad input.
class ConferenceService {
 public:
  ConferenceService(storage::Database& db, storage::ConferenceStore& conferences)
      : db_(db), conferences_(conferences) {}

  // `pexip_fields` may carry `aliases`: [{"alias": "...", "description": "..."}, ...].
  Conference Create(const Caller& caller, const boost::json::object& pexip_fields);
  Conference Create(storage::SqlExecutor& executor, const boost::json::object& pexip_fields);
  // All or nothing, in one transaction: each object with an "id" (or "resource_uri") updates that
  // conference, the others are created. Errors name the first failing object.
  std::vector<Conference> Bulk(const Caller& caller, const boost::json::array& objects);

  std::optional<Conference> Find(const Caller& caller, std::int64_t id);
  std::optional<Conference> Find(storage::SqlExecutor& executor, std::int64_t id);
  std::optional<Conference> FindByName(const Caller& caller, std::string_view name);
  std::optional<Conference> FindByName(storage::SqlExecutor& executor, std::string_view name);
  std::optional<Conference> FindByAlias(const Caller& caller, std::string_view alias);
  std::optional<Conference> FindByAlias(storage::SqlExecutor& executor, std::string_view alias);
  Page<Conference> List(const Caller& caller, const ConferenceFilter& filter,
                        const PageRequest& page);

  // PATCH: only the given fields change; `aliases`, when given, replaces the set. kNotFound when
  // there is no such conference.
  Conference Update(const Caller& caller, std::int64_t id, const boost::json::object& fields);
  Conference Update(storage::SqlExecutor& executor, std::int64_t id,
                    const boost::json::object& fields);
  // False when it was already gone.
  bool Delete(const Caller& caller, std::int64_t id);
  bool Delete(storage::SqlExecutor& executor, std::int64_t id);

  // The conference_alias resource: `conference` names its conference by resource URI or id.
  ConferenceAlias CreateAlias(const Caller& caller, const boost::json::object& fields);
  std::optional<ConferenceAlias> FindAlias(const Caller& caller, std::int64_t alias_id);
  Page<ConferenceAlias> ListAliases(const Caller& caller, std::optional<std::int64_t> conference_id,
                                    std::optional<std::string> alias, const PageRequest& page);
  ConferenceAlias UpdateAlias(const Caller& caller, std::int64_t alias_id,
                              const boost::json::object& fields);
  bool DeleteAlias(const Caller& caller, std::int64_t alias_id);

  static constexpr std::size_t kMaxNameLength = 250;
  static constexpr std::size_t kMaxDescriptionLength = 250;
  static constexpr std::size_t kMaxAliasLength = 250;

 private:
  storage::Database& db_;
  storage::ConferenceStore& conferences_;
};

// Pexip's JSON of a conference and an alias: every field, `resource_uri` as Pexip writes it
// (/api/admin/configuration/v1/conference/<id>/), creation_time as ISO 8601 without a zone (UTC).
boost::json::object ConferenceToPexipJson(const Conference& conference);
boost::json::object ConferenceAliasToPexipJson(const ConferenceAlias& alias);
std::string ConferenceResourceUri(std::int64_t id);
std::string ConferenceAliasResourceUri(std::int64_t id);

}  // namespace mgw::service
