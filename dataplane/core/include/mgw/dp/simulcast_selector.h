#pragma once

// Picks which simulcast encoding a subscriber leg should receive.

#include <cstdint>
#include <span>

namespace mgw::dp {

struct EncodingChoice {
  uint32_t bitrate_bps = 0;  // configured, or estimated when an estimate exists
  bool active = false;       // packets arrived recently
};

inline constexpr int kNoEncoding = -1;

// The active encoding with the highest bitrate that fits `requested_bps`; when none fits, the
// active encoding with the lowest bitrate (a too-small budget still gets video). kNoEncoding when
// nothing is active or `requested_bps` is 0 (the subscriber paused this feed).
int SelectEncoding(std::span<const EncodingChoice> encodings, uint32_t requested_bps);

}  // namespace mgw::dp
