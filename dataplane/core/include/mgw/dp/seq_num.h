#pragma once

// RTP sequence number arithmetic modulo 2^16 (RFC 3550 section 5.1, RFC 1982 style): a is newer
// than b when it lies less than half the number space ahead of b.

#include <cstdint>

namespace mgw::dp {

// Signed distance from b to a, in [-32768, 32767].
inline int32_t SeqDelta(uint16_t a, uint16_t b) {
  return static_cast<int16_t>(static_cast<uint16_t>(a - b));
}

inline bool SeqIsNewer(uint16_t a, uint16_t b) { return SeqDelta(a, b) > 0; }

// Same rule for 32-bit RTP timestamps.
inline bool TimestampIsNewer(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

}  // namespace mgw::dp
