#pragma once

// Demultiplexes one UDP datagram on a shared port: RTP vs RTCP by the RFC 5761 rule (the second
// byte of RTCP carries packet types 192..223, which as an RTP marker+PT would be PT 64..95, a
// range RTP profiles leave unused), and anything whose first byte is outside 128..191 (RFC 7983:
// STUN, DTLS, ZRTP, TURN channels) as kOther for the layer above.

#include <cstdint>
#include <span>

namespace mgw::dp {

enum class PacketKind : uint8_t { kRtp, kRtcp, kOther };

inline PacketKind ClassifyPacket(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2 || bytes[0] < 128 || bytes[0] > 191) return PacketKind::kOther;
  const uint8_t pt = bytes[1] & 0x7F;
  return (pt >= 64 && pt <= 95) ? PacketKind::kRtcp : PacketKind::kRtp;
}

}  // namespace mgw::dp
