#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// One name by which a conference is dialled or joined; unique across all conferences.
struct ConferenceAliasRow {
  std::int64_t id = 0;
  std::int64_t conference_id = 0;
  std::string alias;
  std::string description;
  TimePoint created_at;
};

// A conference (Pexip's Virtual Meeting Room). The columns that lists filter on are their own
// columns; every other Pexip field is in `settings` (the `fields` column), a JSON object the
// service owns.
struct ConferenceRow {
  std::int64_t id = 0;
  std::string name;
  std::string description;
  std::string tag;
  std::string settings = "{}";
  TimePoint created_at;
  std::optional<std::string> meeting_id;    // the meeting running it, while one does
  std::vector<ConferenceAliasRow> aliases;  // by id
};

struct NewConference {
  std::string name;
  std::string description;
  std::string tag;
  std::string settings = "{}";
};

// List filters, combined with AND; Django's lookups as Pexip's API takes them.
struct ConferenceFilter {
  std::optional<std::string> name;             // exact
  std::optional<std::string> tag;              // exact
  std::optional<std::string> name_startswith;  // case-sensitive prefix
  std::optional<std::string> name_icontains;   // case-insensitive (ASCII) substring
};

struct ConferencePage {
  std::vector<ConferenceRow> items;
  std::int64_t total = 0;  // matching, over all pages
};

struct AliasPage {
  std::vector<ConferenceAliasRow> items;
  std::int64_t total = 0;
};

// Conferences and their aliases. Every call runs through the given SqlExecutor so a service
// composes them in one Transaction. Names and aliases are unique (kUniqueViolation). Holds no state
// of its own; thread-safe like the Database. Throws StorageError.
class ConferenceStore {
 public:
  explicit ConferenceStore(const Clock& clock) : clock_(clock) {}

  // kUniqueViolation when the name is taken.
  ConferenceRow Create(SqlExecutor& executor, const NewConference& conference);
  std::optional<ConferenceRow> Find(SqlExecutor& executor, std::int64_t id);
  std::optional<ConferenceRow> FindByName(SqlExecutor& executor, std::string_view name);
  // The conference that owns `alias` (exact match).
  std::optional<ConferenceRow> FindByAlias(SqlExecutor& executor, std::string_view alias);
  // Ordered by id.
  ConferencePage List(SqlExecutor& executor, const ConferenceFilter& filter, std::size_t limit,
                      std::size_t offset);
  // Rewrites name, description, tag and settings; false when there is no such conference.
  // kUniqueViolation when the new name is taken.
  bool Update(SqlExecutor& executor, std::int64_t id, const NewConference& conference);
  // Links the conference to the meeting that runs it (or unlinks it with nullopt).
  bool SetMeeting(SqlExecutor& executor, std::int64_t id, std::optional<std::string> meeting_id);
  // True when a row was deleted; its aliases go with it.
  bool Delete(SqlExecutor& executor, std::int64_t id);

  // kUniqueViolation when the alias is taken; kConstraintViolation when the conference is gone.
  ConferenceAliasRow AddAlias(SqlExecutor& executor, std::int64_t conference_id,
                              std::string_view alias, std::string_view description);
  std::optional<ConferenceAliasRow> FindAlias(SqlExecutor& executor, std::int64_t alias_id);
  // Ordered by id; `conference_id` restricts to one conference's aliases.
  AliasPage ListAliases(SqlExecutor& executor, std::optional<std::int64_t> conference_id,
                        std::optional<std::string_view> alias, std::size_t limit,
                        std::size_t offset);
  bool UpdateAlias(SqlExecutor& executor, const ConferenceAliasRow& alias);
  bool DeleteAlias(SqlExecutor& executor, std::int64_t alias_id);
  // Removes every alias of the conference (before replacing the set).
  void DeleteAliasesOf(SqlExecutor& executor, std::int64_t conference_id);

 private:
  std::vector<ConferenceAliasRow> AliasesOf(SqlExecutor& executor, std::int64_t conference_id);

  const Clock& clock_;
};

}  // namespace mgw::storage
