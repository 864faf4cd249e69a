#include "mgw/storage/placeholders.h"

#include <gtest/gtest.h>

#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

TEST(PlaceholdersTest, QuestionMarksBecomeNumberedForPostgres) {
  EXPECT_EQ(
      TranslatePlaceholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)", Dialect::kPostgres),
      "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
  EXPECT_EQ(TranslatePlaceholders("SELECT a FROM t WHERE b = ?", Dialect::kSqlite),
            "SELECT a FROM t WHERE b = ?");
}

TEST(PlaceholdersTest, NumberedBecomeQuestionNumberedForSqlite) {
  EXPECT_EQ(
      TranslatePlaceholders("UPDATE t SET a = $2 WHERE id = $1 OR id = $10", Dialect::kSqlite),
      "UPDATE t SET a = ?2 WHERE id = ?1 OR id = ?10");
  EXPECT_EQ(TranslatePlaceholders("UPDATE t SET a = $2 WHERE id = $1", Dialect::kPostgres),
            "UPDATE t SET a = $2 WHERE id = $1");
}

TEST(PlaceholdersTest, LiteralsIdentifiersAndCommentsAreLeftAlone) {
  EXPECT_EQ(TranslatePlaceholders("SELECT '?', 'it''s ?', \"col?\" FROM t -- why?\n WHERE a = ?",
                                  Dialect::kPostgres),
            "SELECT '?', 'it''s ?', \"col?\" FROM t -- why?\n WHERE a = $1");
  EXPECT_EQ(TranslatePlaceholders("SELECT /* $1 ? */ ?", Dialect::kPostgres),
            "SELECT /* $1 ? */ $1");
  EXPECT_EQ(TranslatePlaceholders("SELECT $tag$ ? $1 $tag$, $$?$$, ?", Dialect::kPostgres),
            "SELECT $tag$ ? $1 $tag$, $$?$$, $1");
  EXPECT_EQ(TranslatePlaceholders("SELECT a::text FROM t WHERE b = $1", Dialect::kSqlite),
            "SELECT a::text FROM t WHERE b = ?1");
}

TEST(PlaceholdersTest, RejectsMixedStylesAndDollarZero) {
  try {
    TranslatePlaceholders("SELECT ? , $1", Dialect::kPostgres);
    FAIL() << "mixed styles accepted";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kInvalidArgument);
  }
  EXPECT_THROW(TranslatePlaceholders("SELECT $0", Dialect::kSqlite), StorageError);
}

}  // namespace
}  // namespace mgw::storage
