#include "mgw/storage/placeholders.h"

#include <cctype>

#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Length of the quoted run, comment or dollar-quoted string starting at sql[i], or 0 when sql[i]
// starts none of them. Unterminated runs extend to the end (the database reports the error).
std::size_t SkipLiteral(std::string_view sql, std::size_t i) {
  const char c = sql[i];
  auto until = [&](std::string_view end, std::size_t from) {
    std::size_t pos = sql.find(end, from);
    return pos == std::string_view::npos ? sql.size() - i : pos + end.size() - i;
  };
  if (c == '\'' || c == '"') {
    // A doubled quote inside is an escaped quote; scanning on handles it as two runs.
    return until(std::string_view(&sql[i], 1), i + 1);
  }
  if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') return until("\n", i + 2);
  if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') return until("*/", i + 2);
  if (c == '$' && i + 1 < sql.size() && !IsDigit(sql[i + 1])) {
    // PostgreSQL dollar quoting: $tag$ ... $tag$ (tag possibly empty).
    std::size_t j = i + 1;
    while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_')) {
      ++j;
    }
    if (j < sql.size() && sql[j] == '$') {
      std::string_view tag = sql.substr(i, j - i + 1);
      return until(tag, j + 1);
    }
  }
  return 0;
}

}  // namespace

std::string_view ToString(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "sqlite" : "postgres";
}

std::string TranslatePlaceholders(std::string_view sql, Dialect dialect) {
  std::string out;
  out.reserve(sql.size() + 8);
  int anonymous = 0;
  bool numbered = false;
  for (std::size_t i = 0; i < sql.size();) {
    if (std::size_t n = SkipLiteral(sql, i)) {
      out.append(sql.substr(i, n));
      i += n;
      continue;
    }
    const char c = sql[i];
    if (c == '?') {
      ++anonymous;
      if (dialect == Dialect::kPostgres) {
        out += '$';
        out += std::to_string(anonymous);
      } else {
        out += '?';
      }
      // SQLite's own ?NNN form passes through untouched.
      ++i;
      while (dialect == Dialect::kSqlite && i < sql.size() && IsDigit(sql[i])) out += sql[i++];
      continue;
    }
    if (c == '$' && i + 1 < sql.size() && IsDigit(sql[i + 1])) {
      std::size_t j = i + 1;
      while (j < sql.size() && IsDigit(sql[j])) ++j;
      std::string_view number = sql.substr(i + 1, j - i - 1);
      if (number.find_first_not_of('0') == std::string_view::npos) {
        throw StorageError(StorageErrorKind::kInvalidArgument,
                           "placeholder $0 in: " + std::string(sql));
      }
      numbered = true;
      out += dialect == Dialect::kPostgres ? '$' : '?';
      out.append(number);
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  if (numbered && anonymous > 0) {
    throw StorageError(StorageErrorKind::kInvalidArgument,
                       "statement mixes ? and $N placeholders: " + std::string(sql));
  }
  return out;
}

}  // namespace mgw::storage
