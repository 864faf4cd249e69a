#pragma once

// The media every simulated participant sends, generated once per run: a libopus tone (20 ms
// frames, one RTP packet each) and libvpx VP8 at a set bitrate (RFC 7741 packets of at most
// 1,200 B), as RTP
// payloads with their send offsets within one loop of `loop_seconds`. The replayer sends the loop
// over and over, with timestamps and sequence numbers running on.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mgw::recbench {

inline constexpr uint8_t kOpusPayloadType = 111;
inline constexpr uint8_t kVp8PayloadType = 96;
inline constexpr size_t kMaxVideoPayload = 1200;

struct TemplatePacket {
  int64_t offset_us = 0;  // send time within the loop
  bool video = false;
  bool frame_start = false;  // the first packet of a frame (counts a frame sent)
  bool marker = false;
  uint32_t rtp_timestamp = 0;  // relative to the loop's start
  std::vector<uint8_t> payload;
};

struct MediaPlan {
  double loop_seconds = 0;
  int fps = 0;
  std::vector<TemplatePacket> packets;  // by offset
  uint64_t audio_frames = 0;            // per loop
  uint64_t video_frames = 0;
  uint64_t payload_bytes = 0;
};

MediaPlan BuildMediaPlan(double loop_seconds, int width, int height, int fps, int gop,
                         int video_kbps);

}  // namespace mgw::recbench
