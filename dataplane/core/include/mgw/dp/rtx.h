#pragma once

// RFC 4588 retransmission format: the RTX packet has its own SSRC, payload type and sequence
// number, and its payload starts with the original sequence number (OSN) followed by the original
// payload.

#include <cstddef>
#include <cstdint>
#include <span>

#include "mgw/dp/parse_result.h"
#include "mgw/dp/rtp_packet.h"

namespace mgw::dp {

// Writes `original` as an RTX packet with header fields `rtx` (marker, CSRCs and extension are
// copied) and OSN `original_seq` into `out`. Padding
// is dropped. Returns the size, or 0 when `out` is too small.
size_t WriteRtxPacket(std::span<uint8_t> out, const RtpPacket& original, const RtpHeaderFields& rtx,
                      uint16_t original_seq);

// Turns a received RTX packet back into the original in place: the header moves two bytes forward
// over the OSN and takes the OSN, `media_ssrc` and `media_payload_type`. The returned view starts
// two bytes into the old buffer. kRtxMalformed when the payload cannot hold an OSN (this includes
// padding-only probes).
ParseResult<RtpPacket> DecapsulateRtx(const RtpPacket& rtx, uint32_t media_ssrc,
                                      uint8_t media_payload_type);

}  // namespace mgw::dp
