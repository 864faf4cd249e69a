#include "mgw/dp/stream_table.h"

#include <gtest/gtest.h>

#include "mgw/dp/config_error.h"

namespace mgw::dp {
namespace {

SourceConfig Audio(uint32_t ssrc) {
  SourceConfig s;
  s.payload_type = 111;
  s.clock_rate = 48000;
  s.encodings[0].ssrc = ssrc;
  s.encoding_count = 1;
  return s;
}

SourceConfig Simulcast(uint32_t base) {
  SourceConfig s;
  s.codec = VideoCodec::kVp8;
  s.payload_type = 96;
  s.rtx_payload_type = 97;
  for (uint32_t i = 0; i < 3; ++i) s.encodings[i] = EncodingConfig{base + i, base + 10 + i, 0};
  s.encoding_count = 3;
  return s;
}

TEST(StreamTableTest, LooksUpEveryEncodingAndRtxSsrc) {
  StreamTable table(StreamTableConfig{});
  const StreamId audio = table.Add(7, MediaKind::kAudio, Audio(100));
  const StreamId video = table.Add(7, MediaKind::kVideo, Simulcast(200));
  EXPECT_NE(audio, video);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.ssrc_count(), 7u);

  const SsrcBinding* a = table.Lookup(100);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->participant, 7u);
  EXPECT_EQ(a->stream, audio);
  EXPECT_EQ(a->role, SsrcRole::kMedia);

  const SsrcBinding* v2 = table.Lookup(202);
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->stream, video);
  EXPECT_EQ(v2->encoding, 2);
  EXPECT_EQ(v2->role, SsrcRole::kMedia);

  const SsrcBinding* rtx1 = table.Lookup(211);
  ASSERT_NE(rtx1, nullptr);
  EXPECT_EQ(rtx1->encoding, 1);
  EXPECT_EQ(rtx1->role, SsrcRole::kRtx);

  EXPECT_EQ(table.Lookup(999), nullptr);
  const PublisherStream& s = table.at(video);
  EXPECT_EQ(s.encoding_count(), 3u);
  ASSERT_NE(s.encodings[0].cache, nullptr);                // video is cached for NACK
  EXPECT_EQ(table.at(audio).encodings[0].cache, nullptr);  // audio is not by default
  EXPECT_EQ(s.encodings[1].stats.clock_rate(), 90000u);
  EXPECT_EQ(table.at(audio).encodings[0].stats.clock_rate(), 48000u);
}

TEST(StreamTableTest, DuplicateSsrcRejectedWithoutPartialState) {
  StreamTable table(StreamTableConfig{});
  table.Add(1, MediaKind::kAudio, Audio(100));
  SourceConfig clash = Simulcast(300);
  clash.encodings[2].rtx_ssrc = 100;
  EXPECT_THROW(table.Add(2, MediaKind::kVideo, clash), ConfigError);
  EXPECT_EQ(table.Lookup(300), nullptr);
  EXPECT_EQ(table.size(), 1u);
  SourceConfig self_clash = Simulcast(400);
  self_clash.encodings[1].ssrc = 400;
  EXPECT_THROW(table.Add(2, MediaKind::kVideo, self_clash), ConfigError);
  SourceConfig zero = Audio(0);
  EXPECT_THROW(table.Add(2, MediaKind::kAudio, zero), ConfigError);
  SourceConfig two_audio = Audio(500);
  two_audio.encoding_count = 2;
  two_audio.encodings[1].ssrc = 501;
  EXPECT_THROW(table.Add(2, MediaKind::kAudio, two_audio), ConfigError);
  EXPECT_THROW(table.BindRtcpSsrc(2, 100), ConfigError);
}

TEST(StreamTableTest, RemoveUnbindsAndReusesSlot) {
  StreamTable table(StreamTableConfig{});
  const StreamId id = table.Add(1, MediaKind::kVideo, Simulcast(200));
  table.Remove(id);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.ssrc_count(), 0u);
  EXPECT_EQ(table.Lookup(201), nullptr);
  EXPECT_EQ(table.Add(2, MediaKind::kVideo, Simulcast(200)), id);
}

TEST(StreamTableTest, RtcpOnlySsrc) {
  StreamTable table(StreamTableConfig{});
  table.BindRtcpSsrc(9, 0xCAFE);
  const SsrcBinding* b = table.Lookup(0xCAFE);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->participant, 9u);
  EXPECT_EQ(b->role, SsrcRole::kRtcpOnly);
  table.UnbindSsrc(0xCAFE);
  EXPECT_EQ(table.Lookup(0xCAFE), nullptr);
}

TEST(StreamTableTest, FullTableThrows) {
  StreamTable table(StreamTableConfig{1, 8, {}, {0, 0, 0}, 0});
  table.Add(1, MediaKind::kAudio, Audio(1));
  EXPECT_THROW(table.Add(1, MediaKind::kAudio, Audio(2)), ConfigError);
}

TEST(StreamTableTest, Holds100000Streams) {
  constexpr uint32_t kStreams = 100'000;
  StreamTable table(StreamTableConfig{kStreams, kStreams, {}, {0, 0, 0}, 0});
  for (uint32_t i = 0; i < kStreams; ++i) {
    table.Add(i, MediaKind::kAudio, Audio(0x40000000u + i * 7919));
  }
  EXPECT_EQ(table.size(), kStreams);
  for (uint32_t i = 0; i < kStreams; ++i) {
    const SsrcBinding* b = table.Lookup(0x40000000u + i * 7919);
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(b->participant, i);
  }
  EXPECT_EQ(table.Lookup(0x40000000u + 1), nullptr);
}

}  // namespace
}  // namespace mgw::dp
