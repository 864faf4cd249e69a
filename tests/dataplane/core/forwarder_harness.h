#pragma once

// Test harness around a Forwarder: packet builders, participant presets, an output batch with
// storage, and an injected clock the test advances by hand.

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "mgw/dp/forwarder.h"
#include "mgw/dp/rtcp_packet.h"

namespace mgw::dp::test {

using Bytes = std::vector<uint8_t>;

// 198.18.0.<host>:<port>, the benchmarking range tests use.
inline Endpoint Addr(uint8_t host, uint16_t port = 5000) {
  return Endpoint::FromIpv4(0xC6120000u | host, port);
}

struct RtpSpec {
  uint32_t ssrc = 0;
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint8_t pt = 96;
  bool marker = false;
  Bytes payload = {0xAA, 0xBB, 0xCC, 0xDD};
};

Bytes MakeRtp(const RtpSpec& spec);

// VP8 payloads (RFC 7741) with an extended descriptor carrying a 7-bit PictureID.
Bytes Vp8Keyframe(uint8_t fill = 0x11);
Bytes Vp8Delta(uint8_t fill = 0x22);

// H.264 payloads (RFC 6184).
Bytes H264StapASpsPps();  // keyframe start: STAP-A with SPS and PPS
Bytes H264FuAIdrStart();  // keyframe start: first FU-A fragment of an IDR slice
Bytes H264FuAIdrMiddle();
Bytes H264NonIdr();  // single NAL non-IDR slice

// SSRC plan: participant n sends audio from n*100+1, video encoding i from n*100+10+i, its RTX
// from n*100+20+i.
inline uint32_t AudioSsrc(ParticipantId id) { return static_cast<uint32_t>(id * 100 + 1); }
inline uint32_t VideoSsrc(ParticipantId id, int encoding = 0) {
  return static_cast<uint32_t>(id * 100 + 10 + encoding);
}
inline uint32_t RtxSsrc(ParticipantId id, int encoding = 0) {
  return static_cast<uint32_t>(id * 100 + 20 + encoding);
}

inline constexpr uint8_t kOpusPt = 111;
inline constexpr uint8_t kVideoPt = 96;
inline constexpr uint8_t kRtxPt = 97;

ParticipantConfig AudioOnly(ParticipantId id, MeetingId meeting = 1);
ParticipantConfig ReceiveOnly(ParticipantId id, MeetingId meeting = 1);
// Audio plus one video encoding of `codec` (with RTX).
ParticipantConfig WithVideo(ParticipantId id, VideoCodec codec = VideoCodec::kVp8,
                            MeetingId meeting = 1);
// Audio plus three simulcast encodings at 150 kbps, 500 kbps and 1.5 Mbps (with RTX).
ParticipantConfig WithSimulcast(ParticipantId id, VideoCodec codec = VideoCodec::kVp8,
                                MeetingId meeting = 1);

// An output copied out of the batch, so it outlives the next call.
struct Sent {
  Endpoint destination;
  Bytes wire;  // head followed by tail
  bool rtcp = false;
  uint32_t input = kNoInput;
  bool zero_copy = false;  // tail pointed into the ingress buffer
};

ForwarderConfig TestConfig();

class Harness {
 public:
  explicit Harness(const ForwarderConfig& config = TestConfig());

  Forwarder fwd;
  uint64_t now_us = 10'000'000;

  // Runs one datagram through Process; outputs replace those of the previous call.
  DropReason Send(const Bytes& datagram, const Endpoint& from);
  // Runs several datagrams as one burst.
  void SendBurst(const std::vector<std::pair<Bytes, Endpoint>>& datagrams);
  void Poll();

  const std::vector<Sent>& sent() const { return sent_; }
  std::vector<Sent> SentTo(const Endpoint& to) const;
  // RTCP outputs to `to` that contain a packet of `type` (and FMT/count `fmt` when given).
  std::vector<Bytes> RtcpTo(const Endpoint& to, uint8_t type, int fmt = -1) const;
  const OutputBatch& batch() const { return batch_; }
  // The stored copy of the last ingress datagram (outputs' tails point into it).
  const Bytes& last_ingress() const { return ingress_.back(); }

 private:
  void Collect();

  std::vector<OutputPacket> slots_;
  std::vector<uint8_t> arena_;
  OutputBatch batch_;
  std::deque<Bytes> ingress_;
  std::vector<Sent> sent_;
};

// Parsed RTP header fields of an output.
struct RtpFields {
  uint32_t ssrc;
  uint16_t seq;
  uint32_t ts;
  uint8_t pt;
  bool marker;
  Bytes payload;
};
std::optional<RtpFields> ReadRtp(const Bytes& wire);

}  // namespace mgw::dp::test
