#include "mgw/storage/conference_store.h"

#include <fmt/format.h>

#include <cctype>
#include <unordered_map>

#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

constexpr const char* kConferenceColumns =
    "c.id, c.name, c.description, c.tag, c.fields, c.created_at, c.meeting_id";
constexpr const char* kAliasColumns = "a.id, a.conference_id, a.alias, a.description, a.created_at";

ConferenceRow ConferenceFromRow(const Row& row) {
  return ConferenceRow{.id = row.GetInt64(0),
                       .name = row.GetString(1),
                       .description = row.GetString(2),
                       .tag = row.GetString(3),
                       .settings = row.GetString(4),
                       .created_at = FromUnixMillis(row.GetInt64(5)),
                       .meeting_id = row.GetOptionalString(6),
                       .aliases = {}};
}

ConferenceAliasRow AliasFromRow(const Row& row) {
  return ConferenceAliasRow{.id = row.GetInt64(0),
                            .conference_id = row.GetInt64(1),
                            .alias = row.GetString(2),
                            .description = row.GetString(3),
                            .created_at = FromUnixMillis(row.GetInt64(4))};
}

// A LIKE pattern matching `text` anywhere, lower-cased (ASCII, as both dialects' LOWER agree on
// it), with LIKE's wildcards escaped by '\'.
std::string ContainsPattern(std::string_view text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  pattern.push_back('%');
  return pattern;
}

// The WHERE clause of a filtered list, with $1..$4 bound to the filter's values (NULL: no filter).
constexpr const char* kFilterClause =
    "(CAST($1 AS TEXT) IS NULL OR c.name = CAST($1 AS TEXT)) AND "
    "(CAST($2 AS TEXT) IS NULL OR c.tag = CAST($2 AS TEXT)) AND "
    "(CAST($3 AS TEXT) IS NULL OR SUBSTR(c.name, 1, LENGTH(CAST($3 AS TEXT))) = CAST($3 AS TEXT)) "
    "AND (CAST($4 AS TEXT) IS NULL OR LOWER(c.name) LIKE CAST($4 AS TEXT) ESCAPE '\\')";

}  // namespace

std::vector<ConferenceAliasRow> ConferenceStore::AliasesOf(SqlExecutor& executor,
                                                           std::int64_t conference_id) {
  std::vector<ConferenceAliasRow> aliases;
  for (const Row& row : executor.Query(
           fmt::format(
               "SELECT {} FROM conference_aliases a WHERE a.conference_id = ? ORDER BY a.id",
               kAliasColumns),
           {conference_id})) {
    aliases.push_back(AliasFromRow(row));
  }
  return aliases;
}

ConferenceRow ConferenceStore::Create(SqlExecutor& executor, const NewConference& conference) {
  std::optional<Row> row = executor.QueryOne(
      "INSERT INTO conferences (name, description, tag, fields, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
      {conference.name, conference.description, conference.tag, conference.settings,
       ToUnixMillis(clock_.Now())});
  if (!row) throw StorageError(StorageErrorKind::kInternal, "INSERT ... RETURNING gave no row");
  return *Find(executor, row->GetInt64(0));
}

std::optional<ConferenceRow> ConferenceStore::Find(SqlExecutor& executor, std::int64_t id) {
  std::optional<Row> row = executor.QueryOne(
      fmt::format("SELECT {} FROM conferences c WHERE c.id = ?", kConferenceColumns), {id});
  if (!row) return std::nullopt;
  ConferenceRow conference = ConferenceFromRow(*row);
  conference.aliases = AliasesOf(executor, conference.id);
  return conference;
}

std::optional<ConferenceRow> ConferenceStore::FindByName(SqlExecutor& executor,
                                                         std::string_view name) {
  std::optional<Row> row = executor.QueryOne(
      fmt::format("SELECT {} FROM conferences c WHERE c.name = ?", kConferenceColumns), {name});
  if (!row) return std::nullopt;
  ConferenceRow conference = ConferenceFromRow(*row);
  conference.aliases = AliasesOf(executor, conference.id);
  return conference;
}

std::optional<ConferenceRow> ConferenceStore::FindByAlias(SqlExecutor& executor,
                                                          std::string_view alias) {
  std::optional<Row> row =
      executor.QueryOne("SELECT conference_id FROM conference_aliases WHERE alias = ?", {alias});
  if (!row) return std::nullopt;
  return Find(executor, row->GetInt64(0));
}

ConferencePage ConferenceStore::List(SqlExecutor& executor, const ConferenceFilter& filter,
                                     std::size_t limit, std::size_t offset) {
  std::optional<std::string> contains;
  if (filter.name_icontains) contains = ContainsPattern(*filter.name_icontains);
  const Params filter_params = {filter.name, filter.tag, filter.name_startswith, contains};
  ConferencePage page;
  page.total =
      executor
          .QueryOne(fmt::format("SELECT COUNT(*) FROM conferences c WHERE {}", kFilterClause),
                    filter_params)
          ->GetInt64(0);
  Params params = filter_params;
  params.emplace_back(limit);
  params.emplace_back(offset);
  for (const Row& row :
       executor.Query(fmt::format("SELECT {} FROM conferences c WHERE {} ORDER BY c.id "
                                  "LIMIT CAST($5 AS BIGINT) OFFSET CAST($6 AS BIGINT)",
                                  kConferenceColumns, kFilterClause),
                      params)) {
    page.items.push_back(ConferenceFromRow(row));
  }
  // The page's aliases in one query (the same filter and window), not one per conference.
  std::unordered_map<std::int64_t, ConferenceRow*> by_id;
  for (ConferenceRow& conference : page.items) by_id[conference.id] = &conference;
  for (const Row& row : executor.Query(
           fmt::format("SELECT {} FROM conference_aliases a WHERE a.conference_id IN "
                       "(SELECT c.id FROM conferences c WHERE {} ORDER BY c.id "
                       "LIMIT CAST($5 AS BIGINT) OFFSET CAST($6 AS BIGINT)) ORDER BY a.id",
                       kAliasColumns, kFilterClause),
           params)) {
    ConferenceAliasRow alias = AliasFromRow(row);
    if (auto it = by_id.find(alias.conference_id); it != by_id.end()) {
      it->second->aliases.push_back(std::move(alias));
    }
  }
  return page;
}

bool ConferenceStore::Update(SqlExecutor& executor, std::int64_t id,
                             const NewConference& conference) {
  return executor.Execute(
             "UPDATE conferences SET name = ?, description = ?, tag = ?, fields = ?, "
             "updated_at = ? WHERE id = ?",
             {conference.name, conference.description, conference.tag, conference.settings,
              ToUnixMillis(clock_.Now()), id}) > 0;
}

bool ConferenceStore::SetMeeting(SqlExecutor& executor, std::int64_t id,
                                 std::optional<std::string> meeting_id) {
  return executor.Execute("UPDATE conferences SET meeting_id = ? WHERE id = ?", {meeting_id, id}) >
         0;
}

bool ConferenceStore::Delete(SqlExecutor& executor, std::int64_t id) {
  // Aliases go explicitly too, so nothing depends on the connection enforcing foreign keys.
  executor.Execute("DELETE FROM conference_aliases WHERE conference_id = ?", {id});
  return executor.Execute("DELETE FROM conferences WHERE id = ?", {id}) > 0;
}

ConferenceAliasRow ConferenceStore::AddAlias(SqlExecutor& executor, std::int64_t conference_id,
                                             std::string_view alias, std::string_view description) {
  std::optional<Row> row = executor.QueryOne(
      "INSERT INTO conference_aliases (conference_id, alias, description, created_at) "
      "VALUES (?, ?, ?, ?) RETURNING id",
      {conference_id, alias, description, ToUnixMillis(clock_.Now())});
  if (!row) throw StorageError(StorageErrorKind::kInternal, "INSERT ... RETURNING gave no row");
  return *FindAlias(executor, row->GetInt64(0));
}

std::optional<ConferenceAliasRow> ConferenceStore::FindAlias(SqlExecutor& executor,
                                                             std::int64_t alias_id) {
  std::optional<Row> row = executor.QueryOne(
      fmt::format("SELECT {} FROM conference_aliases a WHERE a.id = ?", kAliasColumns), {alias_id});
  if (!row) return std::nullopt;
  return AliasFromRow(*row);
}

AliasPage ConferenceStore::ListAliases(SqlExecutor& executor,
                                       std::optional<std::int64_t> conference_id,
                                       std::optional<std::string_view> alias, std::size_t limit,
                                       std::size_t offset) {
  constexpr const char* kWhere =
      "(CAST($1 AS BIGINT) IS NULL OR a.conference_id = CAST($1 AS BIGINT)) AND "
      "(CAST($2 AS TEXT) IS NULL OR a.alias = CAST($2 AS TEXT))";
  const Params filter_params = {conference_id, alias};
  AliasPage page;
  page.total =
      executor
          .QueryOne(fmt::format("SELECT COUNT(*) FROM conference_aliases a WHERE {}", kWhere),
                    filter_params)
          ->GetInt64(0);
  Params params = filter_params;
  params.emplace_back(limit);
  params.emplace_back(offset);
  for (const Row& row :
       executor.Query(fmt::format("SELECT {} FROM conference_aliases a WHERE {} ORDER BY a.id "
                                  "LIMIT CAST($3 AS BIGINT) OFFSET CAST($4 AS BIGINT)",
                                  kAliasColumns, kWhere),
                      params)) {
    page.items.push_back(AliasFromRow(row));
  }
  return page;
}

bool ConferenceStore::UpdateAlias(SqlExecutor& executor, const ConferenceAliasRow& alias) {
  return executor.Execute(
             "UPDATE conference_aliases SET conference_id = ?, alias = ?, description = ? "
             "WHERE id = ?",
             {alias.conference_id, alias.alias, alias.description, alias.id}) > 0;
}

bool ConferenceStore::DeleteAlias(SqlExecutor& executor, std::int64_t alias_id) {
  return executor.Execute("DELETE FROM conference_aliases WHERE id = ?", {alias_id}) > 0;
}

void ConferenceStore::DeleteAliasesOf(SqlExecutor& executor, std::int64_t conference_id) {
  executor.Execute("DELETE FROM conference_aliases WHERE conference_id = ?", {conference_id});
}

}  // namespace mgw::storage
