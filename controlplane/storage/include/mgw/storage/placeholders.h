#pragma once

#include <string>
#include <string_view>

namespace mgw::storage {

enum class Dialect { kSqlite, kPostgres };

std::string_view ToString(Dialect dialect);

// Lets one SQL text serve both dialects. A statement uses either anonymous `?` placeholders
// (numbered left to right) or numbered `$1`, `$2`, ... placeholders, never both:
//   to PostgreSQL: `?` becomes `$1`, `$2`, ...; `$N` stays.
//   to SQLite:     `$N` becomes `?N`; `?` stays.
// Placeholders inside string literals, quoted identifiers and comments are left alone. Write `$N`
// when the statement needs PostgreSQL's `?`-operators (jsonb), which `?` style would rewrite.
// Throws StorageError(kInvalidArgument) on mixed styles or `$0`.
std::string TranslatePlaceholders(std::string_view sql, Dialect dialect);

}  // namespace mgw::storage
