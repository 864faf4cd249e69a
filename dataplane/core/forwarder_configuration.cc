// Configuration side of the Forwarder: participants, subscriptions, keys, and the bookkeeping
// that keeps legs' simulcast targets and keyframe waits consistent. Runs between bursts on the
// worker's thread; may allocate and throw ConfigError.

#include <string>
#include <vector>

#include "mgw/dp/config_error.h"
#include "mgw/dp/forwarder.h"

namespace mgw::dp {

Forwarder::Forwarder(const ForwarderConfig& config)
    : config_(config),
      participants_(config.max_participants),
      streams_(StreamTableConfig{config.max_streams, config.max_ssrcs, config.video_cache,
                                 config.audio_cache, config.keyframe_request_interval_us}),
      legs_(config.max_legs) {}

void Forwarder::AddParticipant(const ParticipantConfig& config) {
  const uint32_t index = participants_.Add(config);
  try {
    if (config.audio.present()) {
      const StreamId id = streams_.Add(index, MediaKind::kAudio, config.audio);
      participants_.at(index).audio = id;
    }
    if (config.video.present()) {
      const StreamId id = streams_.Add(index, MediaKind::kVideo, config.video);
      participants_.at(index).video = id;
    }
    if (config.rtcp_ssrc != 0) streams_.BindRtcpSsrc(index, config.rtcp_ssrc);

    // Audio is all-to-all within a meeting.
    const std::span<const uint32_t> members = participants_.MeetingMembers(config.meeting);
    const std::vector<uint32_t> others(members.begin(), members.end());
    for (const uint32_t other : others) {
      if (other == index) continue;
      const Participant& self = participants_.at(index);
      const Participant& peer = participants_.at(other);
      if (self.audio != kInvalidIndex && peer.receives_audio) {
        AddLeg(other, self.audio, MediaKind::kAudio, VideoSubscription{});
      }
      if (peer.audio != kInvalidIndex && self.receives_audio) {
        AddLeg(index, peer.audio, MediaKind::kAudio, VideoSubscription{});
      }
    }
  } catch (...) {
    RemoveParticipantAt(index);
    throw;
  }
}

void Forwarder::RemoveParticipant(ParticipantId id) {
  RemoveParticipantAt(participants_.FindOrThrow(id));
}

void Forwarder::RemoveParticipantAt(uint32_t index) {
  Participant& p = participants_.at(index);
  const std::span<const LegId> received = legs_.LegsFor(index);
  for (const LegId leg : std::vector<LegId>(received.begin(), received.end())) RemoveLeg(leg);
  for (const StreamId stream : {p.audio, p.video}) {
    if (stream == kInvalidIndex) continue;
    const std::span<const LegId> sent = legs_.LegsOf(stream);
    for (const LegId leg : std::vector<LegId>(sent.begin(), sent.end())) RemoveLeg(leg);
    streams_.Remove(stream);
  }
  if (p.rtcp_ssrc != 0) {
    const SsrcBinding* b = streams_.Lookup(p.rtcp_ssrc);
    if (b && b->participant == index && b->role == SsrcRole::kRtcpOnly) {
      streams_.UnbindSsrc(p.rtcp_ssrc);
    }
  }
  participants_.Remove(index);
}

void Forwarder::SetSrtpKeys(ParticipantId id, SrtpSuite suite, std::span<const uint8_t> inbound,
                            std::span<const uint8_t> outbound) {
  const uint32_t index = participants_.FindOrThrow(id);
  Participant& p = participants_.at(index);
  try {
    auto in = std::make_unique<SrtpSession>(suite, SrtpDirection::kInbound, inbound);
    auto out = std::make_unique<SrtpSession>(suite, SrtpDirection::kOutbound, outbound);
    std::unique_ptr<SrtpSender> rtp;
    if (config_.openssl_srtp_rtp) rtp = std::make_unique<SrtpSender>(suite, outbound);
    p.srtp_in = std::move(in);
    p.srtp_out = std::move(out);
    p.rtp_out = std::move(rtp);
  } catch (const std::exception& e) {
    throw ConfigError("participant " + std::to_string(id) + ": " + e.what());
  }
  // New keys are a new cryptographic context: every SSRC's index starts over (libsrtp's new
  // context would do the same).
  p.retired_srtp_indexes.clear();
  for (const LegId leg : legs_.LegsFor(index)) {
    ForEachSrtpIndex(legs_.at(leg), [](uint32_t, SrtpSendIndex& i) { i = {}; });
  }
  p.requires_srtp = true;
}

void Forwarder::SetAddress(ParticipantId id, const Endpoint& address) {
  const uint32_t index = participants_.FindOrThrow(id);
  Participant& p = participants_.at(index);
  const Endpoint old = p.latch.address();
  p.latch.Pin(address);
  participants_.OnAddressChanged(index, old);
}

uint32_t Forwarder::VideoStreamOrThrow(uint32_t participant) const {
  const Participant& p = participants_.at(participant);
  if (p.video == kInvalidIndex) {
    throw ConfigError("participant " + std::to_string(p.id) + " publishes no video");
  }
  return p.video;
}

void Forwarder::CheckCanSubscribe(uint32_t subscriber, uint32_t publisher) const {
  const Participant& sub = participants_.at(subscriber);
  const Participant& pub = participants_.at(publisher);
  if (subscriber == publisher) throw ConfigError("a participant cannot subscribe to itself");
  if (sub.meeting != pub.meeting) {
    throw ConfigError("participants " + std::to_string(sub.id) + " and " + std::to_string(pub.id) +
                      " are in different meetings");
  }
  if (legs_.FindByStream(subscriber, VideoStreamOrThrow(publisher)) != kInvalidIndex) {
    throw ConfigError("participant " + std::to_string(sub.id) + " already receives video of " +
                      std::to_string(pub.id));
  }
}

void Forwarder::Subscribe(ParticipantId subscriber, ParticipantId publisher,
                          const VideoSubscription& sub) {
  const uint32_t s = participants_.FindOrThrow(subscriber);
  const uint32_t p = participants_.FindOrThrow(publisher);
  CheckCanSubscribe(s, p);
  Participant& subscriber_p = participants_.at(s);
  const size_t limit = MaxVideoSubscriptions(subscriber_p.role);
  if (subscriber_p.video_subscriptions >= limit) {
    throw ConfigError("participant " + std::to_string(subscriber) + " already receives " +
                      std::to_string(limit) + " video feeds, the limit for its role");
  }
  AddLeg(s, VideoStreamOrThrow(p), MediaKind::kVideo, sub);
}

void Forwarder::Unsubscribe(ParticipantId subscriber, ParticipantId publisher) {
  const uint32_t s = participants_.FindOrThrow(subscriber);
  const uint32_t p = participants_.FindOrThrow(publisher);
  const LegId leg = legs_.FindByStream(s, VideoStreamOrThrow(p));
  if (leg == kInvalidIndex) {
    throw ConfigError("participant " + std::to_string(subscriber) + " does not receive video of " +
                      std::to_string(publisher));
  }
  RemoveLeg(leg);
}

void Forwarder::Swap(ParticipantId subscriber, ParticipantId old_publisher,
                     ParticipantId new_publisher, uint32_t requested_bitrate_bps) {
  const uint32_t s = participants_.FindOrThrow(subscriber);
  const uint32_t old_p = participants_.FindOrThrow(old_publisher);
  const uint32_t new_p = participants_.FindOrThrow(new_publisher);
  const LegId id = legs_.FindByStream(s, VideoStreamOrThrow(old_p));
  if (id == kInvalidIndex) {
    throw ConfigError("participant " + std::to_string(subscriber) + " does not receive video of " +
                      std::to_string(old_publisher));
  }
  CheckCanSubscribe(s, new_p);

  // Everything below is one step between bursts: no packet sees a half-moved leg.
  const StreamId new_stream = participants_.at(new_p).video;
  Leg& leg = legs_.at(id);
  const uint8_t old_pt = streams_.at(leg.stream).config.payload_type;
  if (leg.rewriter.MapPayloadType(old_pt) != old_pt) {
    leg.rewriter.SetPayloadTypeMapping(streams_.at(new_stream).config.payload_type,
                                       leg.rewriter.MapPayloadType(old_pt));
  }
  CountWaiting(leg, -1);
  legs_.Move(id, new_stream);
  leg.requested_bitrate_bps = requested_bitrate_bps;
  leg.rewriter.ResetSource(SelectTarget(streams_.at(new_stream), requested_bitrate_bps));
  CountWaiting(leg, +1);
}

void Forwarder::SetRequestedBitrate(ParticipantId subscriber, ParticipantId publisher,
                                    uint32_t bps) {
  const uint32_t s = participants_.FindOrThrow(subscriber);
  const uint32_t p = participants_.FindOrThrow(publisher);
  const LegId id = legs_.FindByStream(s, VideoStreamOrThrow(p));
  if (id == kInvalidIndex) {
    throw ConfigError("participant " + std::to_string(subscriber) + " does not receive video of " +
                      std::to_string(publisher));
  }
  Leg& leg = legs_.at(id);
  leg.requested_bitrate_bps = bps;
  SetLegTarget(id, SelectTarget(streams_.at(leg.stream), bps));
}

void Forwarder::SetEncodingBitrate(ParticipantId publisher, size_t encoding, uint32_t bps) {
  const StreamId id = VideoStreamOrThrow(participants_.FindOrThrow(publisher));
  PublisherStream& stream = streams_.at(id);
  if (encoding >= stream.encoding_count()) {
    throw ConfigError("encoding " + std::to_string(encoding) + " does not exist");
  }
  stream.encodings[encoding].config.bitrate_bps = bps;
  ReselectLegs(id);
}

LegId Forwarder::AddLeg(uint32_t subscriber, StreamId stream_id, MediaKind kind,
                        const VideoSubscription& sub) {
  const PublisherStream& stream = streams_.at(stream_id);
  Leg leg;
  leg.subscriber = subscriber;
  leg.stream = stream_id;
  leg.kind = kind;
  const uint32_t first_ssrc = stream.encodings[0].config.ssrc;
  leg.rewriter = LegRewriter(sub.output_ssrc != 0 ? sub.output_ssrc : first_ssrc);
  if (sub.payload_type != kKeepPayloadType) {
    leg.rewriter.SetPayloadTypeMapping(stream.config.payload_type, sub.payload_type);
  }
  leg.requested_bitrate_bps = sub.requested_bitrate_bps;
  leg.output_rtx_ssrc = sub.output_rtx_ssrc;
  leg.rtx_payload_type = sub.rtx_payload_type;
  // A leg that sends an SSRC this subscriber received before continues its index.
  const auto& retired = participants_.at(subscriber).retired_srtp_indexes;
  ForEachSrtpIndex(leg, [&](uint32_t ssrc, SrtpSendIndex& i) {
    if (auto it = retired.find(ssrc); it != retired.end()) i = it->second;
  });
  const LegId id = legs_.Add(leg);
  if (kind == MediaKind::kVideo) ++participants_.at(subscriber).video_subscriptions;
  SetLegTarget(id, kind == MediaKind::kAudio ? 0 : SelectTarget(stream, sub.requested_bitrate_bps));
  return id;
}

void Forwarder::RemoveLeg(LegId id) {
  Leg& leg = legs_.at(id);
  CountWaiting(leg, -1);
  Participant& to = participants_.at(leg.subscriber);
  if (leg.kind == MediaKind::kVideo) --to.video_subscriptions;
  ForEachSrtpIndex(leg, [&](uint32_t ssrc, SrtpSendIndex& i) {
    if (i.highest != 0) to.retired_srtp_indexes[ssrc] = i;
  });
  legs_.Remove(id);
}

void Forwarder::CountWaiting(const Leg& leg, int delta) {
  // Only video legs ask for keyframes; audio can start on any packet.
  if (leg.kind != MediaKind::kVideo || !leg.rewriter.waiting_for_keyframe()) return;
  EncodingState& enc = streams_.at(leg.stream).encodings[leg.rewriter.target()];
  enc.waiting_legs = static_cast<uint32_t>(static_cast<int64_t>(enc.waiting_legs) + delta);
}

void Forwarder::SetLegTarget(LegId id, int target) {
  Leg& leg = legs_.at(id);
  if (leg.rewriter.target() == target) return;
  CountWaiting(leg, -1);
  leg.rewriter.SetTarget(target);
  CountWaiting(leg, +1);
}

int Forwarder::SelectTarget(const PublisherStream& stream, uint32_t requested_bps) const {
  if (stream.kind == MediaKind::kAudio) return 0;
  std::array<EncodingChoice, kMaxSimulcastEncodings> choices{};
  for (size_t i = 0; i < stream.encoding_count(); ++i) {
    choices[i] = EncodingChoice{stream.encodings[i].config.bitrate_bps, stream.encodings[i].active};
  }
  return SelectEncoding(std::span(choices).first(stream.encoding_count()), requested_bps);
}

void Forwarder::ReselectLegs(StreamId stream_id) {
  const PublisherStream& stream = streams_.at(stream_id);
  if (stream.kind == MediaKind::kAudio) return;
  for (const LegId id : legs_.LegsOf(stream_id)) {
    SetLegTarget(id, SelectTarget(stream, legs_.at(id).requested_bitrate_bps));
  }
}

const ReceiveStats* Forwarder::PublisherStats(ParticipantId publisher, MediaKind kind,
                                              size_t encoding) const {
  const uint32_t index = participants_.Find(publisher);
  if (index == kInvalidIndex) return nullptr;
  const StreamId id = participants_.at(index).stream(kind);
  if (id == kInvalidIndex || encoding >= streams_.at(id).encoding_count()) return nullptr;
  return &streams_.at(id).encodings[encoding].stats;
}

std::optional<LegInfo> Forwarder::Subscription(ParticipantId subscriber, ParticipantId publisher,
                                               MediaKind kind) const {
  const uint32_t s = participants_.Find(subscriber);
  const uint32_t p = participants_.Find(publisher);
  if (s == kInvalidIndex || p == kInvalidIndex) return std::nullopt;
  const StreamId stream = participants_.at(p).stream(kind);
  if (stream == kInvalidIndex) return std::nullopt;
  const LegId id = legs_.FindByStream(s, stream);
  if (id == kInvalidIndex) return std::nullopt;
  const Leg& leg = legs_.at(id);
  return LegInfo{leg.rewriter.output_ssrc(), leg.rewriter.current(), leg.rewriter.target(),
                 leg.requested_bitrate_bps, leg.stats};
}

std::optional<Endpoint> Forwarder::Address(ParticipantId id) const {
  const uint32_t index = participants_.Find(id);
  if (index == kInvalidIndex || !participants_.at(index).latch.latched()) return std::nullopt;
  return participants_.at(index).latch.address();
}

size_t Forwarder::VideoSubscriptionCount(ParticipantId subscriber) const {
  const uint32_t index = participants_.Find(subscriber);
  return index == kInvalidIndex ? 0 : participants_.at(index).video_subscriptions;
}

}  // namespace mgw::dp
