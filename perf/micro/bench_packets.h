#pragma once

// Packets and participant presets shared by the micro-benchmarks: a VP8 keyframe RTP packet of a
// chosen size (every packet starts a keyframe, so a leg forwards from the first one) and an RTCP
// compound of the kind subscribers send.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mgw/dp/endpoint.h"
#include "mgw/dp/media_config.h"

namespace mgw::bench {

using Bytes = std::vector<uint8_t>;

inline constexpr uint8_t kVideoPayloadType = 96;

// An RTP packet of exactly `size` bytes (>= 16): VP8 keyframe start, marker clear.
Bytes MakeVp8Rtp(uint32_t ssrc, uint16_t seq, uint32_t timestamp, size_t size);

// SR + RR block + PLI + NACK (3 lost packets): a typical compound from a subscriber.
Bytes MakeRtcpCompound(uint32_t sender_ssrc, uint32_t media_ssrc);

// 198.18.<hi>.<lo>:5000, the benchmarking range.
dp::Endpoint BenchAddress(uint32_t host);

// A participant publishing one VP8 encoding from `ssrc` (no audio).
dp::ParticipantConfig VideoPublisher(dp::ParticipantId id, uint32_t ssrc);
// A participant publishing nothing and receiving no audio.
dp::ParticipantConfig Receiver(dp::ParticipantId id);

}  // namespace mgw::bench
