#pragma once

// What the control plane tells a worker about participants, their sources and subscriptions.
// Plain values, copied into the worker's tables by the Forwarder's configuration calls.

#include <array>
#include <cstddef>
#include <cstdint>

#include "mgw/dp/keyframe_detector.h"

namespace mgw::dp {

using ParticipantId = uint64_t;  // chosen by the control plane, unique per worker
using MeetingId = uint64_t;

enum class MediaKind : uint8_t { kAudio, kVideo };

enum class ParticipantRole : uint8_t {
  kRegular,
  kRecorder,  // receive-only recorder: one more video feed than a regular participant
};

inline constexpr size_t kMaxSimulcastEncodings = 3;
inline constexpr size_t kMaxVideoSubscriptions = 49;
inline constexpr size_t kMaxVideoSubscriptionsRecorder = 50;

inline size_t MaxVideoSubscriptions(ParticipantRole role) {
  return role == ParticipantRole::kRecorder ? kMaxVideoSubscriptionsRecorder
                                            : kMaxVideoSubscriptions;
}

struct EncodingConfig {
  uint32_t ssrc = 0;
  uint32_t rtx_ssrc = 0;     // 0: no RFC 4588 stream for this encoding
  uint32_t bitrate_bps = 0;  // expected bitrate, used to pick an encoding per subscriber
};

// One media source of a publisher: its audio, or its (possibly simulcast) video.
struct SourceConfig {
  VideoCodec codec = VideoCodec::kNone;  // kNone for audio
  uint8_t payload_type = 0;
  uint8_t rtx_payload_type = 0;
  uint32_t clock_rate = 90000;
  // Simulcast encodings, lowest bitrate first by convention (not required).
  std::array<EncodingConfig, kMaxSimulcastEncodings> encodings{};
  uint8_t encoding_count = 0;  // 0: the participant does not publish this kind

  bool present() const { return encoding_count > 0; }
};

struct ParticipantConfig {
  ParticipantId id = 0;
  MeetingId meeting = 0;
  ParticipantRole role = ParticipantRole::kRegular;
  SourceConfig audio;  // at most one encoding
  SourceConfig video;
  // SSRC the participant puts in the RTCP it sends as a receiver, when it publishes nothing that
  // identifies it (0: found by its latched address instead).
  uint32_t rtcp_ssrc = 0;
  bool receives_audio = true;  // subscribed to every audio source of the meeting
  bool requires_srtp = false;  // drop its traffic until SetSrtpKeys installs keys
};

inline constexpr uint8_t kKeepPayloadType = 0xFF;

// A subscriber's request for one video feed.
struct VideoSubscription {
  uint32_t requested_bitrate_bps = 0;       // 0 pauses the feed
  uint32_t output_ssrc = 0;                 // 0: the publisher's first encoding SSRC
  uint32_t output_rtx_ssrc = 0;             // 0: NACKs are answered with plain retransmissions
  uint8_t payload_type = kKeepPayloadType;  // PT the subscriber negotiated for this codec
  uint8_t rtx_payload_type = 0;
};

}  // namespace mgw::dp
