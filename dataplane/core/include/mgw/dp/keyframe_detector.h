#pragma once

// Recognises the first packet of a keyframe from the RTP payload, so a leg can switch simulcast
// encodings or start a new feed where the decoder can begin. Only the payload descriptor and NAL
// headers are read; truncated payloads are "not a keyframe", never an error.

#include <cstdint>
#include <span>

namespace mgw::dp {

enum class VideoCodec : uint8_t {
  kNone,  // audio, or a codec without keyframe detection: every packet is a valid start
  kVp8,
  kH264,
};

// RFC 7741: start of partition 0 (S=1, PID=0) whose VP8 payload header has P (inverse key frame
// flag) clear.
bool IsVp8KeyframeStart(std::span<const uint8_t> payload);

// RFC 6184: a single NAL unit that is an IDR slice or SPS, a STAP-A aggregating one, or the first
// fragment (S bit) of an FU-A carrying an IDR slice.
bool IsH264KeyframeStart(std::span<const uint8_t> payload);

inline bool IsKeyframeStart(VideoCodec codec, std::span<const uint8_t> payload) {
  switch (codec) {
    case VideoCodec::kVp8:
      return IsVp8KeyframeStart(payload);
    case VideoCodec::kH264:
      return IsH264KeyframeStart(payload);
    case VideoCodec::kNone:
      return true;
  }
  return false;
}

}  // namespace mgw::dp
