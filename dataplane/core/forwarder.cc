// Packet path of the Forwarder: ingress classification, SRTP, latching, stats, fan-out, RTCP
// routing and the timer work of Poll. Configuration calls are in forwarder_configuration.cc.

#include "mgw/dp/forwarder.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "mgw/dp/keyframe_detector.h"
#include "mgw/dp/packet_classifier.h"
#include "mgw/dp/rtcp_builder.h"
#include "mgw/dp/rtcp_feedback.h"
#include "mgw/dp/rtcp_report.h"
#include "mgw/dp/rtx.h"

namespace mgw::dp {

namespace {
constexpr size_t kSenderReportSize = 8 + kSenderInfoSize;
constexpr size_t kFirSize = rtcp::kFeedbackHeaderSize + 8;
}  // namespace

void Forwarder::ProcessBurst(std::span<const IngressPacket> packets, uint64_t now_us,
                             OutputBatch& out) {
  // With thousands of publishers each packet's SSRC slot is a cache miss; starting all of the
  // burst's loads first overlaps them instead of taking them one after another (VPP's habit).
  for (const IngressPacket& packet : packets) {
    if (packet.data.size() >= kRtpFixedHeaderSize) {
      streams_.PrefetchLookup(LoadBe32(packet.data.data() + 8));
    }
  }
  for (size_t i = 0; i < packets.size(); ++i) {
    Process(packets[i], now_us, out, static_cast<uint32_t>(i));
  }
}

DropReason Forwarder::Process(const IngressPacket& packet, uint64_t now_us, OutputBatch& out,
                              uint32_t input) {
  DropReason reason;
  if (packet.data.size() < 2) {
    reason = DropReason::kShortHeader;
  } else {
    switch (ClassifyPacket(packet.data)) {
      case PacketKind::kRtp:
        reason = ProcessRtp(packet.data, packet.source, now_us, input, out);
        break;
      case PacketKind::kRtcp:
        reason = ProcessRtcp(packet.data, packet.source, now_us, input, out);
        break;
      default:
        // First bytes 0-63 belong to STUN, ZRTP and DTLS (RFC 7983): another protocol. Above 63
        // only RTP would be expected here, so the packet is RTP with a version other than 2.
        reason = packet.data.size() >= 1 && packet.data[0] >= 64 ? DropReason::kBadVersion
                                                                 : DropReason::kNotRtpOrRtcp;
        break;
    }
  }
  if (reason != DropReason::kNone) drops_.Add(reason);
  return reason;
}

DropReason Forwarder::Admit(uint32_t participant, const Endpoint& source, bool authenticated) {
  Participant& p = participants_.at(participant);
  const Endpoint old = p.latch.address();
  switch (p.latch.Offer(source, authenticated)) {
    case LatchVerdict::kAccept:
      return DropReason::kNone;
    case LatchVerdict::kLatched:
      ++counters_.addresses_latched;
      participants_.OnAddressChanged(participant, old);
      return DropReason::kNone;
    case LatchVerdict::kMoved:
      ++counters_.addresses_moved;
      participants_.OnAddressChanged(participant, old);
      return DropReason::kNone;
    case LatchVerdict::kDrop:
      break;
  }
  return DropReason::kAddressNotLatched;
}

DropReason Forwarder::ProcessRtp(std::span<uint8_t> data, const Endpoint& source, uint64_t now_us,
                                 uint32_t input, OutputBatch& out) {
  // The RTP header is never encrypted, so the SSRC picks the SRTP context before decryption.
  if (data.size() < kRtpFixedHeaderSize) return DropReason::kShortHeader;
  const SsrcBinding* binding = streams_.Lookup(LoadBe32(data.data() + 8));
  if (binding == nullptr || binding->role == SsrcRole::kRtcpOnly) return DropReason::kUnknownSsrc;
  const SsrcBinding b = *binding;
  Participant& p = participants_.at(b.participant);

  size_t size = data.size();
  bool authenticated = false;
  if (p.requires_srtp) {
    if (!p.srtp_in) return DropReason::kSrtpNoKeys;
    const DropReason r = p.srtp_in->UnprotectRtp(data, &size);
    if (r != DropReason::kNone) return r;
    authenticated = true;
  }
  ParseResult<RtpPacket> parsed = RtpPacket::Parse(data.data(), size);
  if (!parsed) return parsed.reason;
  if (const DropReason r = Admit(b.participant, source, authenticated); r != DropReason::kNone) {
    return r;
  }

  PublisherStream& stream = streams_.at(b.stream);
  EncodingState& enc = stream.encodings[b.encoding];
  RtpPacket packet = *parsed;
  if (b.role == SsrcRole::kRtx) {
    parsed = DecapsulateRtx(packet, enc.config.ssrc, stream.config.payload_type);
    if (!parsed) return parsed.reason;
    packet = *parsed;
    ++counters_.rtx_received;
  }
  ++counters_.rtp_received;

  enc.stats.OnPacket(packet.sequence_number(), packet.timestamp(), packet.size(), now_us);
  if (enc.cache) enc.cache->Store(packet.bytes(), packet.sequence_number(), now_us);
  if (!enc.active) {
    // An encoding coming (back) up can change what every leg of this stream should receive.
    enc.active = true;
    ReselectLegs(b.stream);
  }
  if (legs_.LegsOf(b.stream).empty()) return DropReason::kNoSubscribers;
  FanOut(b.stream, b.encoding, packet, b.role == SsrcRole::kRtx, now_us, input, out);
  return DropReason::kNone;
}

void Forwarder::FanOut(StreamId stream_id, uint8_t encoding, const RtpPacket& packet,
                       bool retransmission, uint64_t now_us, uint32_t input, OutputBatch& out) {
  PublisherStream& stream = streams_.at(stream_id);
  RewriteInput in;
  in.sequence_number = packet.sequence_number();
  in.timestamp = packet.timestamp();
  in.encoding = encoding;
  in.keyframe_start = IsKeyframeStart(stream.config.codec, packet.payload());
  // The keyframe a held-back request asked for is here; no need to send that request later.
  if (in.keyframe_start) stream.encodings[encoding].keyframe_wanted = false;
  in.clock_rate = stream.config.clock_rate;
  in.now_us = now_us;
  in.retransmission = retransmission;

  const std::span<const LegId> legs = legs_.LegsOf(stream_id);
  for (size_t k = 0; k < legs.size(); ++k) {
    // Two legs ahead loads; one leg ahead (loaded by now) names the subscriber to load. Both
    // happen while this leg is rewritten and emitted.
    if (k + 2 < legs.size()) {
      const Leg& ahead = legs_.at(legs[k + 2]);
      __builtin_prefetch(&ahead);
      __builtin_prefetch(&ahead.stats);
    }
    if (k + 1 < legs.size())
      __builtin_prefetch(&participants_.at(legs_.at(legs[k + 1]).subscriber));
    Leg& leg = legs_.at(legs[k]);
    const bool was_waiting = leg.kind == MediaKind::kVideo && leg.rewriter.waiting_for_keyframe();
    const bool was_started = leg.rewriter.started();
    const RewriteResult r = leg.rewriter.Rewrite(in);
    if (r.reason != DropReason::kNone) {
      drops_.Add(r.reason);
      continue;
    }
    if (r.rebased) ++counters_.sequence_rebases;
    if (r.switched) {
      if (was_waiting) --stream.encodings[encoding].waiting_legs;
      if (was_started) {
        ++leg.stats.encoding_switches;
        ++counters_.encoding_switches;
      }
    }
    const RtpHeaderFields fields{leg.rewriter.output_ssrc(), r.sequence_number, r.timestamp,
                                 leg.rewriter.MapPayloadType(packet.payload_type())};
    const DropReason e = EmitRtp(participants_.at(leg.subscriber), leg, packet, fields, input, out);
    if (e != DropReason::kNone) drops_.Add(e);
  }
}

DropReason Forwarder::ProtectLegRtp(const Participant& to, Leg& leg, std::span<uint8_t> buffer,
                                    size_t* size, bool rtx) {
  if (!to.rtp_out) return to.srtp_out->ProtectRtp(buffer, size);
  return to.rtp_out->ProtectRtp(buffer, size, rtx ? leg.rtx_srtp_index : leg.srtp_index);
}

DropReason Forwarder::EmitRtp(const Participant& to, Leg& leg, const RtpPacket& packet,
                              const RtpHeaderFields& fields, uint32_t input, OutputBatch& out) {
  if (!to.latch.latched()) return DropReason::kNoDestination;
  if (to.requires_srtp) {
    // Encryption differs per subscriber, so this leg gets its own contiguous copy.
    if (!to.srtp_out) return DropReason::kSrtpNoKeys;
    std::span<uint8_t> buf = out.Reserve(packet.size() + kSrtpMaxOverhead);
    if (buf.empty()) return DropReason::kOutputFull;
    std::memcpy(buf.data(), packet.data(), packet.size());
    WriteRtpHeaderFields(buf.data(), fields);
    size_t size = packet.size();
    if (const DropReason r = ProtectLegRtp(to, leg, buf, &size, false); r != DropReason::kNone) {
      return r;
    }
    out.Commit(size, to.latch.address(), {}, input, false);
  } else {
    // Only the header is copied and rewritten; the payload stays shared in the ingress buffer.
    std::span<uint8_t> buf = out.Reserve(packet.header_size());
    if (buf.empty()) return DropReason::kOutputFull;
    std::memcpy(buf.data(), packet.data(), packet.header_size());
    WriteRtpHeaderFields(buf.data(), fields);
    out.Commit(packet.header_size(), to.latch.address(), packet.payload_with_padding(), input,
               false);
  }
  ++leg.stats.packets_sent;
  leg.stats.bytes_sent += packet.size();
  leg.stats.payload_bytes_sent += packet.payload().size();
  ++counters_.rtp_sent;
  return DropReason::kNone;
}

template <typename Build>
DropReason Forwarder::EmitRtcp(const Participant& to, size_t max_size, uint32_t input,
                               OutputBatch& out, Build&& build) {
  if (!to.latch.latched()) return DropReason::kNoDestination;
  if (to.requires_srtp && !to.srtp_out) return DropReason::kSrtpNoKeys;
  std::span<uint8_t> buf = out.Reserve(max_size + kSrtpMaxOverhead);
  if (buf.empty()) return DropReason::kOutputFull;
  size_t size = build(buf.first(max_size));
  if (to.requires_srtp) {
    if (const DropReason r = to.srtp_out->ProtectRtcp(buf, &size); r != DropReason::kNone) {
      return r;
    }
  }
  out.Commit(size, to.latch.address(), {}, input, true);
  ++counters_.rtcp_sent;
  return DropReason::kNone;
}

DropReason Forwarder::ProcessRtcp(std::span<uint8_t> data, const Endpoint& source, uint64_t now_us,
                                  uint32_t input, OutputBatch& out) {
  // The first 8 bytes (header and sender SSRC) are never encrypted in SRTCP.
  if (data.size() < 8 || (data[0] >> 6) != 2) return DropReason::kRtcpCompoundError;
  uint32_t participant = kInvalidIndex;
  if (const SsrcBinding* b = streams_.Lookup(LoadBe32(data.data() + 4))) {
    participant = b->participant;
  } else {
    // Receive-only endpoints often report from an SSRC nobody signalled.
    participant = participants_.FindByAddress(source);
  }
  if (participant == kInvalidIndex) return DropReason::kUnknownSsrc;
  Participant& p = participants_.at(participant);

  size_t size = data.size();
  bool authenticated = false;
  if (p.requires_srtp) {
    if (!p.srtp_in) return DropReason::kSrtpNoKeys;
    const DropReason r = p.srtp_in->UnprotectRtcp(data, &size);
    if (r != DropReason::kNone) return r;
    authenticated = true;
  }
  const ParseResult<RtcpCompound> compound = RtcpCompound::Parse(data.first(size));
  if (!compound) return compound.reason;
  if (const DropReason r = Admit(participant, source, authenticated); r != DropReason::kNone) {
    return r;
  }
  ++counters_.rtcp_received;

  for (const RtcpPacketView packet : *compound) {
    switch (packet.type()) {
      case rtcp::kSenderReport:
        HandleSenderReport(participant, packet, now_us, input, out);
        HandleReportBlocks(participant, packet, 8 + kSenderInfoSize, now_us);
        break;
      case rtcp::kReceiverReport:
        HandleReportBlocks(participant, packet, 8, now_us);
        ++counters_.receiver_reports_terminated;
        break;
      case rtcp::kTransportFeedback:
        if (FeedbackView::IsNack(packet)) {
          HandleNack(participant, packet, now_us, input, out);
        } else {
          ++counters_.rtcp_consumed;  // transport-cc and others: not used here
        }
        break;
      case rtcp::kPayloadFeedback:
        if (FeedbackView::IsPli(packet)) {
          HandleKeyframeRequest(participant, FeedbackView(packet).media_ssrc(), false, now_us,
                                input, out);
        } else if (FeedbackView::IsFir(packet)) {
          const FirView fir(packet);
          for (size_t i = 0; i < fir.entry_count(); ++i) {
            HandleKeyframeRequest(participant, fir.entry(i).ssrc, true, now_us, input, out);
          }
        } else {
          ++counters_.rtcp_consumed;  // REMB and other application feedback
        }
        break;
      default:
        ++counters_.rtcp_consumed;  // SDES, BYE, APP, XR
        break;
    }
  }
  return DropReason::kNone;
}

void Forwarder::HandleSenderReport(uint32_t participant, RtcpPacketView packet, uint64_t now_us,
                                   uint32_t input, OutputBatch& out) {
  const SenderReportView sr(packet);
  const SsrcBinding* b = streams_.Lookup(sr.ssrc());
  if (b == nullptr || b->participant != participant || b->role != SsrcRole::kMedia) return;
  const StreamId stream_id = b->stream;
  const uint8_t encoding = b->encoding;
  const SenderInfo info = sr.sender_info();
  streams_.at(stream_id).encodings[encoding].stats.OnSenderReport(info.CompactNtp(), now_us);

  // Each leg receiving this encoding gets the SR in its own SSRC and timestamp space, with its
  // own packet and octet counts, so the subscriber can sync audio and video.
  for (const LegId id : legs_.LegsOf(stream_id)) {
    Leg& leg = legs_.at(id);
    if (leg.rewriter.current() != encoding || !leg.rewriter.started()) continue;
    SenderInfo rewritten = info;
    rewritten.rtp_timestamp = leg.rewriter.MapTimestamp(info.rtp_timestamp);
    rewritten.packet_count = static_cast<uint32_t>(leg.stats.packets_sent);
    rewritten.octet_count = static_cast<uint32_t>(leg.stats.payload_bytes_sent);
    const DropReason r =
        EmitRtcp(participants_.at(leg.subscriber), kSenderReportSize, input, out,
                 [&](std::span<uint8_t> buf) {
                   return BuildSenderReport(buf, leg.rewriter.output_ssrc(), rewritten, {});
                 });
    if (r != DropReason::kNone) {
      drops_.Add(r);
    } else {
      ++counters_.sender_reports_forwarded;
    }
  }
}

void Forwarder::HandleReportBlocks(uint32_t subscriber, RtcpPacketView packet,
                                   size_t first_block_offset, uint64_t now_us) {
  for (size_t i = 0; i < packet.count(); ++i) {
    const ReportBlock block =
        ReportBlock::Read(packet.bytes().data() + first_block_offset + kReportBlockSize * i);
    const LegId id = legs_.Find(subscriber, block.ssrc);
    if (id == kInvalidIndex) continue;  // e.g. a report on an RTX SSRC
    LegStats& stats = legs_.at(id).stats;
    stats.fraction_lost = block.fraction_lost;
    stats.cumulative_lost = block.cumulative_lost;
    stats.jitter = block.jitter;
    stats.last_report_us = now_us;
  }
}

void Forwarder::HandleNack(uint32_t subscriber, RtcpPacketView packet, uint64_t now_us,
                           uint32_t input, OutputBatch& out) {
  const NackView nack(packet);
  ++counters_.nacks_received;
  const LegId id = legs_.Find(subscriber, nack.media_ssrc());
  if (id == kInvalidIndex) {
    drops_.Add(DropReason::kUnknownLeg);
    return;
  }
  Leg& leg = legs_.at(id);
  nack.ForEachLost([&](uint16_t seq) {
    const DropReason r = Retransmit(leg, seq, now_us, input, out);
    if (r != DropReason::kNone) drops_.Add(r);
  });
}

DropReason Forwarder::Retransmit(Leg& leg, uint16_t output_seq, uint64_t now_us, uint32_t input,
                                 OutputBatch& out) {
  uint16_t input_seq = 0;
  if (!leg.rewriter.MapOutputSequence(output_seq, &input_seq)) return DropReason::kCacheMiss;
  EncodingState& enc = streams_.at(leg.stream).encodings[leg.rewriter.current()];
  if (!enc.cache) return DropReason::kCacheMiss;
  const CachedPacket cached = enc.cache->Find(input_seq, now_us);
  if (cached.reason != DropReason::kNone) return cached.reason;
  const ParseResult<RtpPacket> original = RtpPacket::Parse(cached.bytes);
  if (!original) return DropReason::kCacheMiss;  // cannot happen: only parsed packets are cached

  const Participant& to = participants_.at(leg.subscriber);
  if (!to.latch.latched()) return DropReason::kNoDestination;
  if (to.requires_srtp && !to.srtp_out) return DropReason::kSrtpNoKeys;
  std::span<uint8_t> buf = out.Reserve(original->size() + 2 + kSrtpMaxOverhead);
  if (buf.empty()) return DropReason::kOutputFull;

  const uint32_t timestamp = leg.rewriter.MapTimestamp(original->timestamp());
  size_t size;
  if (leg.output_rtx_ssrc != 0) {
    // RFC 4588: own SSRC, PT and sequence space; the OSN is the sequence number the subscriber
    // saw (and NACKed).
    const RtpHeaderFields rtx{leg.output_rtx_ssrc, leg.rtx_sequence_number++, timestamp,
                              leg.rtx_payload_type};
    size = WriteRtxPacket(buf, *original, rtx, output_seq);
  } else {
    size = original->size();
    std::memcpy(buf.data(), original->data(), size);
    WriteRtpHeaderFields(buf.data(),
                         RtpHeaderFields{leg.rewriter.output_ssrc(), output_seq, timestamp,
                                         leg.rewriter.MapPayloadType(original->payload_type())});
  }
  if (to.requires_srtp) {
    const bool rtx = leg.output_rtx_ssrc != 0;
    if (const DropReason r = ProtectLegRtp(to, leg, buf, &size, rtx); r != DropReason::kNone) {
      return r;
    }
  }
  out.Commit(size, to.latch.address(), {}, input, false);
  ++leg.stats.retransmissions;
  ++counters_.retransmissions_sent;
  ++counters_.rtp_sent;
  return DropReason::kNone;
}

void Forwarder::HandleKeyframeRequest(uint32_t subscriber, uint32_t media_ssrc, bool fir,
                                      uint64_t now_us, uint32_t input, OutputBatch& out) {
  ++counters_.keyframe_requests_received;
  const LegId id = legs_.Find(subscriber, media_ssrc);
  if (id == kInvalidIndex) {
    drops_.Add(DropReason::kUnknownLeg);
    return;
  }
  const Leg& leg = legs_.at(id);
  // A leg about to switch needs the keyframe of its target, not of what it receives now.
  const int encoding =
      leg.rewriter.waiting_for_keyframe() ? leg.rewriter.target() : leg.rewriter.current();
  if (encoding == kNoEncoding) return;
  const DropReason r =
      RequestKeyframe(leg.stream, static_cast<uint8_t>(encoding), fir, now_us, input, out);
  if (r != DropReason::kNone) drops_.Add(r);
}

DropReason Forwarder::RequestKeyframe(StreamId stream_id, uint8_t encoding, bool fir,
                                      uint64_t now_us, uint32_t input, OutputBatch& out) {
  PublisherStream& stream = streams_.at(stream_id);
  EncodingState& enc = stream.encodings[encoding];
  if (!enc.keyframe_limiter.Allow(now_us)) {
    enc.keyframe_wanted = true;  // coalesced: Poll sends it once the interval has passed
    return DropReason::kKeyframeRequestLimited;
  }
  const uint32_t media_ssrc = enc.config.ssrc;
  const uint32_t local_ssrc = config_.local_ssrc;
  const DropReason r = EmitRtcp(participants_.at(stream.participant), kFirSize, input, out,
                                [&](std::span<uint8_t> buf) {
                                  return fir ? BuildFir(buf, local_ssrc, media_ssrc, enc.fir_seq++)
                                             : BuildPli(buf, local_ssrc, media_ssrc);
                                });
  if (r != DropReason::kNone) {
    enc.keyframe_wanted = true;  // retried from Poll, still at most once per interval
    return r;
  }
  enc.keyframe_wanted = false;
  ++counters_.keyframe_requests_sent;
  return DropReason::kNone;
}

namespace {

// Poll sweeps its tables a slice per call: all of a small table, a 32nd of a large one, so a
// call's work is bounded however many streams a worker holds (10,000 publishers made a whole
// sweep every 2 ms a tenth of the worker's time, and evicted the packet path's cache lines). A
// sweep then takes at most 32 calls (64 ms at the worker's 2 ms poll interval), well inside the
// timers it serves (encoding timeout, keyframe re-requests, receiver reports).
constexpr uint32_t kPollSweepCalls = 32;
constexpr uint32_t kPollMinSlice = 256;

uint32_t PollSlice(uint32_t slots) {
  return std::min(slots, std::max(kPollMinSlice, (slots + kPollSweepCalls - 1) / kPollSweepCalls));
}

}  // namespace

void Forwarder::Poll(uint64_t now_us, OutputBatch& out) {
  const auto stream_slots = static_cast<uint32_t>(streams_.slot_count());
  if (poll_stream_cursor_ >= stream_slots) poll_stream_cursor_ = 0;
  for (uint32_t k = PollSlice(stream_slots); k > 0; --k) {
    const auto id = static_cast<StreamId>(poll_stream_cursor_);
    if (++poll_stream_cursor_ == stream_slots) poll_stream_cursor_ = 0;
    PublisherStream& stream = streams_.at(id);
    if (!stream.used) continue;
    bool activity_changed = false;
    for (size_t i = 0; i < stream.encoding_count(); ++i) {
      EncodingState& enc = stream.encodings[i];
      if (enc.active && now_us - enc.stats.last_packet_us() > config_.encoding_timeout_us) {
        enc.active = false;
        activity_changed = true;
      }
    }
    if (activity_changed) ReselectLegs(id);
    if (stream.kind != MediaKind::kVideo) continue;
    for (size_t i = 0; i < stream.encoding_count(); ++i) {
      EncodingState& enc = stream.encodings[i];
      if (enc.waiting_legs == 0 && !enc.keyframe_wanted) continue;
      // Waiting legs re-ask once per interval until their keyframe arrives; a request the limiter
      // held back earlier goes out as soon as the interval allows. Being held back, or having no
      // publisher address yet, is the normal case here and not counted.
      const DropReason r =
          RequestKeyframe(id, static_cast<uint8_t>(i), false, now_us, kNoInput, out);
      if (r == DropReason::kOutputFull) drops_.Add(r);
    }
  }

  const auto participant_slots = static_cast<uint32_t>(participants_.slot_count());
  if (poll_participant_cursor_ >= participant_slots) poll_participant_cursor_ = 0;
  for (uint32_t k = PollSlice(participant_slots); k > 0; --k) {
    const uint32_t index = poll_participant_cursor_;
    if (++poll_participant_cursor_ == participant_slots) poll_participant_cursor_ = 0;
    const Participant& p = participants_.at(index);
    if (!p.used || (p.audio == kInvalidIndex && p.video == kInvalidIndex)) continue;
    if (p.last_report_us != 0 && now_us - p.last_report_us < config_.receiver_report_interval_us) {
      continue;
    }
    SendReceiverReport(index, now_us, out);
  }
}

void Forwarder::SendReceiverReport(uint32_t participant, uint64_t now_us, OutputBatch& out) {
  Participant& p = participants_.at(participant);
  // Making a block closes its loss interval, so check the destination first.
  if (!p.latch.latched()) return;
  std::array<ReportBlock, 1 + kMaxSimulcastEncodings> blocks;
  size_t count = 0;
  for (const StreamId id : {p.audio, p.video}) {
    if (id == kInvalidIndex) continue;
    PublisherStream& stream = streams_.at(id);
    for (size_t i = 0; i < stream.encoding_count(); ++i) {
      // Only sources heard from recently are reported on (RFC 3550 6.4).
      EncodingState& enc = stream.encodings[i];
      if (enc.active) blocks[count++] = enc.stats.MakeReportBlock(enc.config.ssrc, now_us);
    }
  }
  if (count == 0) return;
  const uint32_t local_ssrc = config_.local_ssrc;
  const DropReason r =
      EmitRtcp(p, 8 + kReportBlockSize * count, kNoInput, out, [&](std::span<uint8_t> buf) {
        return BuildReceiverReport(buf, local_ssrc, std::span(blocks).first(count));
      });
  if (r != DropReason::kNone) {
    drops_.Add(r);
    return;
  }
  p.last_report_us = now_us;
  ++counters_.receiver_reports_sent;
}

}  // namespace mgw::dp
