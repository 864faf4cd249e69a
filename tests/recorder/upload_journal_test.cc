#include "mgw/rec/upload_journal.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace mgw::rec {
namespace {

TEST(UploadJournalTest, RoundTrips) {
  mgw::testing::TempDir dir;
  UploadJournal j;
  j.key = "rec/m_1.mkv";
  j.upload_id = "abc";
  j.part_size = 100;
  j.parts = {{1, 0, 100, "\"e1\""}, {2, 100, 100, "\"e2\""}};
  ASSERT_TRUE(j.Save(dir.File("j.json")));
  const auto loaded = UploadJournal::Load(dir.File("j.json"));
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->key, j.key);
  EXPECT_EQ(loaded->upload_id, "abc");
  EXPECT_EQ(loaded->confirmed_bytes(), 200u);
  EXPECT_EQ(loaded->parts[1].etag, "\"e2\"");
  EXPECT_EQ(loaded->state, UploadJournal::State::kUploading);
}

TEST(UploadJournalTest, RejectsGarbageAndHoles) {
  EXPECT_FALSE(UploadJournal::FromJson("not json"));
  EXPECT_FALSE(UploadJournal::FromJson("{\"key\": 5}"));
  UploadJournal j;
  j.key = "k";
  j.upload_id = "u";
  j.part_size = 10;
  j.parts = {{1, 0, 10, "a"}, {3, 10, 10, "b"}};  // part 2 missing
  EXPECT_FALSE(UploadJournal::FromJson(j.ToJson()));
  j.parts = {{1, 0, 10, "a"}, {2, 15, 10, "b"}};  // offsets do not tile
  EXPECT_FALSE(UploadJournal::FromJson(j.ToJson()));
}

TEST(UploadJournalTest, MissingFileIsNoJournal) {
  EXPECT_FALSE(UploadJournal::Load("/nonexistent/journal.json"));
}

}  // namespace
}  // namespace mgw::rec
