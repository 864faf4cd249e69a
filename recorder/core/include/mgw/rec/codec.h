#pragma once

// The codecs the recorder copies into its container, and their RTP clock rates.

#include <cstdint>
#include <string_view>

namespace mgw::rec {

enum class Codec : uint8_t { kOpus, kVp8, kH264 };
enum class MediaKind : uint8_t { kAudio, kVideo };

inline MediaKind KindOf(Codec codec) {
  return codec == Codec::kOpus ? MediaKind::kAudio : MediaKind::kVideo;
}

// RFC 7587 fixes Opus at 48 kHz; RFC 7741 and RFC 6184 fix video at 90 kHz.
inline uint32_t ClockRateOf(Codec codec) { return codec == Codec::kOpus ? 48000 : 90000; }

inline std::string_view NameOf(Codec codec) {
  switch (codec) {
    case Codec::kOpus:
      return "opus";
    case Codec::kVp8:
      return "vp8";
    case Codec::kH264:
      return "h264";
  }
  return "unknown";
}

}  // namespace mgw::rec
