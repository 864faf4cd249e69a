#include "mgw/storage/value.h"

#include <gtest/gtest.h>

#include "mgw/storage/row.h"
#include "mgw/storage/storage_error.h"

namespace mgw::storage {
namespace {

TEST(ValueTest, ConstructsFromEverydayTypes) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value(std::nullopt).is_null());
  EXPECT_TRUE(Value(std::optional<int>()).is_null());
  EXPECT_EQ(Value(std::optional<int>(5)), Value(std::int64_t{5}));
  EXPECT_EQ(Value(true), Value(1));
  EXPECT_EQ(Value(std::size_t{7}).AsInt64(), 7);
  EXPECT_EQ(Value(std::string_view("x")), Value("x"));
}

TEST(ValueTest, ConvertsWhereLossless) {
  EXPECT_EQ(Value("42").AsInt64(), 42);
  EXPECT_EQ(Value(3.0).AsInt64(), 3);
  EXPECT_EQ(Value(3).AsDouble(), 3.0);
  EXPECT_EQ(Value("2.5").AsDouble(), 2.5);
  EXPECT_EQ(Value(12).AsString(), "12");
  EXPECT_TRUE(Value("t").AsBool());
  EXPECT_FALSE(Value(0).AsBool());
  EXPECT_THROW(Value(3.5).AsInt64(), StorageError);
  EXPECT_THROW(Value("4x").AsInt64(), StorageError);
  EXPECT_THROW(Value().AsInt64(), StorageError);
  EXPECT_THROW(Value().AsString(), StorageError);
}

TEST(RowTest, ReadsByPositionAndReportsMisuse) {
  auto names =
      std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"id", "note"});
  const Row row(names, {Value(1), Value()});
  EXPECT_EQ(row.size(), 2u);
  EXPECT_EQ(row.GetInt64(0), 1);
  EXPECT_EQ(row.column_name(1), "note");
  EXPECT_TRUE(row.IsNull(1));
  EXPECT_EQ(row.GetOptionalString(1), std::nullopt);
  EXPECT_EQ(row.GetOptionalInt64(0), 1);
  EXPECT_THROW(row.GetString(1), StorageError);
  EXPECT_THROW(row.at(2), StorageError);
}

}  // namespace
}  // namespace mgw::storage
