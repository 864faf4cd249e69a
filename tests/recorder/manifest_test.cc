#include "mgw/rec/manifest.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "temp_dir.h"

namespace mgw::rec {
namespace {

TEST(ManifestTest, FileNameIsMeetingAndStart) {
  EXPECT_EQ(RecordingFileName("m-42", 1700000000123), "m-42_1700000000123.mkv");
  EXPECT_EQ(RecordingFileName("../etc/x", 5), "_._etc_x_5.mkv");
  EXPECT_EQ(RecordingFileName("", 5, "webm"), "meeting_5.webm");
}

TEST(ManifestTest, Sha256OfAFile) {
  mgw::testing::TempDir dir;
  const std::string path = dir.Write("abc", "abc");
  EXPECT_EQ(*Sha256File(path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(Sha256File(dir.File("missing")));
}

TEST(ManifestTest, JsonHoldsStreamsGapsAndChanges) {
  RecordingSummary summary;
  TrackSummary t;
  t.label = "alice audio";
  t.codec = Codec::kOpus;
  t.stream = 0;
  t.ssrcs = {1, 2};
  t.end_us = 5'000'000;
  t.correction_us = -20'000;
  t.gaps = {{1'000'000, 3}};
  summary.tracks.push_back(t);
  summary.ssrc_changes.push_back({0, 2'000'000, 1, 2});
  summary.duration_us = 5'000'000;
  const std::string text = ManifestJson({"m1", "m1_7.mkv", 7, 1234, "00ff"}, summary);
  const auto v = boost::json::parse(text).as_object();
  EXPECT_EQ(v.at("sha256").as_string(), "00ff");
  EXPECT_EQ(v.at("duration_ms").as_double(), 5000.0);
  const auto& s = v.at("streams").as_array().at(0).as_object();
  EXPECT_EQ(s.at("codec").as_string(), "opus");
  EXPECT_EQ(s.at("av_offset_applied_ms").as_double(), -20.0);
  EXPECT_EQ(s.at("gaps").as_array().at(0).as_object().at("packets").as_int64(), 3);
  EXPECT_EQ(v.at("ssrc_changes").as_array().at(0).as_object().at("to").as_int64(), 2);
}

TEST(ManifestTest, AtomicWriteReplaces) {
  mgw::testing::TempDir dir;
  const std::string path = dir.File("m.json");
  ASSERT_TRUE(WriteFileAtomically(path, "one"));
  ASSERT_TRUE(WriteFileAtomically(path, "two"));
  std::ifstream in(path);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "two");
}

}  // namespace
}  // namespace mgw::rec
