#pragma once

// The RTP packets the load generators send: a VP8 keyframe start (so every leg forwards from the
// first packet) carrying, in an RFC 8285 one-byte header extension that SRTP leaves in clear, the
// send time (CLOCK_MONOTONIC nanoseconds) and a trial number, so the sink measures latency and
// ignores stragglers of an earlier trial.

#include <cstddef>
#include <cstdint>
#include <optional>

namespace mgw::bench {

inline constexpr size_t kLoadHeaderSize = 12 + 16;  // fixed header + extension
inline constexpr size_t kMinLoadPacketSize = kLoadHeaderSize + 2;

// Writes a whole packet of `size` bytes (>= kMinLoadPacketSize) into `out`.
void WriteLoadPacket(uint8_t* out, size_t size, uint32_t ssrc);
// Updates the per-packet fields of a packet written by WriteLoadPacket.
void StampLoadPacket(uint8_t* packet, uint16_t seq, uint32_t rtp_timestamp, uint64_t send_ns,
                     uint8_t trial);

struct LoadStamp {
  uint64_t send_ns = 0;
  uint8_t trial = 0;
};
// Reads the stamp back from a received packet (any SSRC/seq rewrite, SRTP or not).
std::optional<LoadStamp> ReadLoadStamp(const uint8_t* packet, size_t size);

uint64_t MonotonicNanos();

}  // namespace mgw::bench
