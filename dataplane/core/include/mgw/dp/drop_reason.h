#pragma once

// Every reason the dataplane core refuses a packet (or refuses to send it to one leg). Each drop
// increments exactly one counter in DropCounters, so the sum of drops plus forwards accounts for
// every packet that entered.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mgw::dp {

enum class DropReason : uint8_t {
  kNone = 0,  // not a drop: the packet (or step) succeeded

  // RTP header (RFC 3550 section 5.1).
  kShortHeader,       // fewer than 12 bytes
  kBadVersion,        // version field is not 2
  kCsrcPastEnd,       // CSRC list runs past the end of the packet
  kExtensionPastEnd,  // header extension (RFC 8285) runs past the end of the packet
  kBadPadding,        // P bit set with a count of 0 or larger than the payload
  kNotRtpOrRtcp,      // first byte outside 128..191 (STUN, DTLS, ... belong elsewhere)
  kRtxMalformed,      // RFC 4588 packet too short to carry the original sequence number

  // RTCP (RFC 3550 section 6, RFC 4585, RFC 5104).
  kRtcpCompoundError,  // a packet in the compound has a bad version, length or body

  // Lookup and address checks.
  kUnknownSsrc,        // no publisher stream or participant owns this SSRC
  kAddressNotLatched,  // source address differs from the latched one and did not authenticate

  // SRTP (RFC 3711).
  kSrtpAuthFail,  // authentication tag did not verify
  kSrtpReplay,    // replay window rejected the index
  kSrtpNoKeys,    // participant requires SRTP but no keys are installed yet
  kSrtpError,     // any other libsrtp failure

  // Fan-out, counted once per packet and leg.
  kNoSubscribers,       // publisher stream has no subscriber legs
  kLayerNotSelected,    // simulcast encoding not selected for this leg
  kWaitingForKeyframe,  // leg waits for a keyframe of its target encoding before forwarding
  kStalePacket,         // packet predates the leg's last encoding switch
  kNoDestination,       // subscriber's address is not known yet
  kOutputFull,          // caller's output batch (packets or bytes) is exhausted

  // Feedback handling.
  kUnknownLeg,              // feedback names a media SSRC the subscriber does not receive
  kKeyframeRequestLimited,  // PLI/FIR suppressed by the per-stream rate limiter
  kCacheMiss,               // NACKed packet was never cached or was overwritten
  kCacheExpired,            // NACKed packet is older than the cache depth

  kCount  // number of reasons; keep last
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

// Metric-friendly name ("short_header"); "invalid" for out-of-range values.
std::string_view Name(DropReason reason);

}  // namespace mgw::dp
