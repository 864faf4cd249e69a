#pragma once

// The SFU packet logic of one worker: everything between "a datagram arrived from this address"
// and "send these bytes to those addresses", without I/O, clocks or locks.
//
// Threading: one Forwarder per worker, created, configured and driven by that worker's thread
// only. Configuration calls (AddParticipant, Subscribe, Swap, SetSrtpKeys, ...) are made between
// bursts; they may allocate and throw ConfigError. ProcessBurst and Poll never allocate (apart
// from libsrtp's one-time state for a new SSRC), never throw and never block.
//
// Per burst, an I/O layer does:
//   batch.Clear();
//   forwarder.ProcessBurst(packets, now_us, batch);   // ingress buffers stay alive...
//   forwarder.Poll(now_us, batch);                     // ...timers: PLI retries, RRs, activity
//   for (const OutputPacket& o : batch.packets()) send(o.destination, o.head, o.tail);
//   release the ingress buffers.
// See output_batch.h for what head and tail are.

#include <cstdint>
#include <optional>
#include <span>

#include "mgw/dp/drop_counters.h"
#include "mgw/dp/endpoint.h"
#include "mgw/dp/forwarder_counters.h"
#include "mgw/dp/media_config.h"
#include "mgw/dp/output_batch.h"
#include "mgw/dp/packet_cache.h"
#include "mgw/dp/participant_table.h"
#include "mgw/dp/receive_stats.h"
#include "mgw/dp/rtcp_packet.h"
#include "mgw/dp/rtp_packet.h"
#include "mgw/dp/srtp_session.h"
#include "mgw/dp/stream_table.h"
#include "mgw/dp/subscription_table.h"

namespace mgw::dp {

struct ForwarderConfig {
  // Table capacities; the indexes are allocated up front, the pools grow as configured.
  uint32_t max_participants = 4096;
  uint32_t max_streams = 8192;       // publisher sources (audio or video)
  uint32_t max_ssrcs = 32768;        // media + RTX + RTCP-only SSRCs; simulcast video uses up to 6
  uint32_t max_legs = 131072;        // subscriber legs, audio included (all-to-all per meeting)
  uint32_t local_ssrc = 0x6D677721;  // "mgw!": sender SSRC of the RTCP the dataplane originates
  uint64_t keyframe_request_interval_us = 500'000;  // per publisher encoding
  uint64_t receiver_report_interval_us = 1'000'000;
  uint64_t encoding_timeout_us = 2'000'000;  // an encoding without packets this long is inactive
  // SRTP RTP to subscribers is protected by SrtpSender (OpenSSL) rather than libsrtp
  // (dataplane.srtp_protect).
  bool openssl_srtp_rtp = true;
  PacketCacheConfig video_cache{};
  PacketCacheConfig audio_cache{0, 0, 0};  // capacity 0: audio NACKs are not answered
};

// One received datagram. `data` is modified in place (SRTP decryption, RTX decapsulation) and
// outputs may point into it, so it must outlive the batch's use.
struct IngressPacket {
  std::span<uint8_t> data;
  Endpoint source;
};

// A snapshot of one leg, for stats and tests.
struct LegInfo {
  uint32_t output_ssrc = 0;
  int current_encoding = kNoEncoding;
  int target_encoding = kNoEncoding;
  uint32_t requested_bitrate_bps = 0;
  LegStats stats;
};

class Forwarder {
 public:
  explicit Forwarder(const ForwarderConfig& config = {});
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // ---- Configuration, between bursts. Throw ConfigError; on a throw nothing changed. ----

  // Adds a participant and its sources. It receives every audio source of its meeting (if
  // receives_audio) and every member that receives audio gets its audio.
  void AddParticipant(const ParticipantConfig& config);
  // Removes the participant, its sources and every leg from or to it.
  void RemoveParticipant(ParticipantId id);
  // Installs SRTP contexts: `inbound` unprotects what the participant sends, `outbound` protects
  // what it receives. Replaces earlier keys (and their replay state).
  void SetSrtpKeys(ParticipantId id, SrtpSuite suite, std::span<const uint8_t> inbound,
                   std::span<const uint8_t> outbound);
  // Pins the participant's address (known from signalling or ICE) instead of latching it.
  void SetAddress(ParticipantId id, const Endpoint& address);

  // Subscribes to the publisher's video; at most 49 feeds (50 for a recorder). Both must be in
  // the same meeting. Forwarding starts at a keyframe of the selected encoding.
  void Subscribe(ParticipantId subscriber, ParticipantId publisher, const VideoSubscription& sub);
  void Unsubscribe(ParticipantId subscriber, ParticipantId publisher);
  // Replaces one video feed by another in one step: the leg (its output SSRC and sequence space)
  // moves to the new publisher, nothing more of the old feed is sent, and the new feed starts on
  // a keyframe, continuing the old output sequence and timestamps.
  void Swap(ParticipantId subscriber, ParticipantId old_publisher, ParticipantId new_publisher,
            uint32_t requested_bitrate_bps);
  void SetRequestedBitrate(ParticipantId subscriber, ParticipantId publisher, uint32_t bps);
  // Updates an encoding's expected bitrate (configured or estimated) and reselects legs.
  void SetEncodingBitrate(ParticipantId publisher, size_t encoding, uint32_t bps);

  // ---- Packet path: no allocation, no exceptions, no locks. ----

  // Handles one datagram; returns why it was dropped, or kNone when it was consumed or forwarded
  // (per-leg skips are counted in drops() but do not fail the packet). `input` is copied into
  // the outputs it causes.
  DropReason Process(const IngressPacket& packet, uint64_t now_us, OutputBatch& out,
                     uint32_t input = 0);
  // Process for each packet; input indexes are positions in `packets`.
  void ProcessBurst(std::span<const IngressPacket> packets, uint64_t now_us, OutputBatch& out);
  // Timer work: keyframe requests for waiting legs (rate limited), receiver reports to
  // publishers, simulcast encodings going inactive. Call every few milliseconds: each call
  // covers a slice of the tables (all of them up to 256 slots), a whole sweep at most 32 calls.
  void Poll(uint64_t now_us, OutputBatch& out);

  // ---- Observation. ----

  const DropCounters& drops() const { return drops_; }
  const ForwarderCounters& counters() const { return counters_; }
  const ReceiveStats* PublisherStats(ParticipantId publisher, MediaKind kind,
                                     size_t encoding = 0) const;
  std::optional<LegInfo> Subscription(ParticipantId subscriber, ParticipantId publisher,
                                      MediaKind kind) const;
  std::optional<Endpoint> Address(ParticipantId id) const;
  size_t VideoSubscriptionCount(ParticipantId subscriber) const;
  size_t participant_count() const { return participants_.size(); }
  size_t leg_count() const { return legs_.size(); }

 private:
  DropReason ProcessRtp(std::span<uint8_t> data, const Endpoint& source, uint64_t now_us,
                        uint32_t input, OutputBatch& out);
  DropReason ProcessRtcp(std::span<uint8_t> data, const Endpoint& source, uint64_t now_us,
                         uint32_t input, OutputBatch& out);
  DropReason Admit(uint32_t participant, const Endpoint& source, bool authenticated);
  void FanOut(StreamId stream, uint8_t encoding, const RtpPacket& packet, bool retransmission,
              uint64_t now_us, uint32_t input, OutputBatch& out);
  // SRTP-protects RTP for `leg`'s subscriber `to` (which has keys) in place: with its
  // SrtpSender and the leg's index of the output (or, `rtx`, the RTX) SSRC, else libsrtp.
  DropReason ProtectLegRtp(const Participant& to, Leg& leg, std::span<uint8_t> buffer, size_t* size,
                           bool rtx);
  DropReason EmitRtp(const Participant& to, Leg& leg, const RtpPacket& packet,
                     const RtpHeaderFields& fields, uint32_t input, OutputBatch& out);
  template <typename Build>
  DropReason EmitRtcp(const Participant& to, size_t max_size, uint32_t input, OutputBatch& out,
                      Build&& build);

  void HandleSenderReport(uint32_t participant, RtcpPacketView packet, uint64_t now_us,
                          uint32_t input, OutputBatch& out);
  void HandleReportBlocks(uint32_t subscriber, RtcpPacketView packet, size_t first_block_offset,
                          uint64_t now_us);
  void HandleNack(uint32_t subscriber, RtcpPacketView packet, uint64_t now_us, uint32_t input,
                  OutputBatch& out);
  void HandleKeyframeRequest(uint32_t subscriber, uint32_t media_ssrc, bool fir, uint64_t now_us,
                             uint32_t input, OutputBatch& out);
  DropReason Retransmit(Leg& leg, uint16_t output_seq, uint64_t now_us, uint32_t input,
                        OutputBatch& out);
  // Sends PLI (or FIR) for one publisher encoding unless the rate limiter holds it back, in which
  // case it goes out from a later Poll.
  DropReason RequestKeyframe(StreamId stream, uint8_t encoding, bool fir, uint64_t now_us,
                             uint32_t input, OutputBatch& out);
  void SendReceiverReport(uint32_t participant, uint64_t now_us, OutputBatch& out);

  LegId AddLeg(uint32_t subscriber, StreamId stream, MediaKind kind, const VideoSubscription& sub);
  void RemoveLeg(LegId id);
  void RemoveParticipantAt(uint32_t index);
  void SetLegTarget(LegId id, int target);
  void CountWaiting(const Leg& leg, int delta);
  int SelectTarget(const PublisherStream& stream, uint32_t requested_bps) const;
  void ReselectLegs(StreamId stream);
  uint32_t VideoStreamOrThrow(uint32_t participant) const;
  void CheckCanSubscribe(uint32_t subscriber, uint32_t publisher) const;

  ForwarderConfig config_;
  ParticipantTable participants_;
  StreamTable streams_;
  SubscriptionTable legs_;
  DropCounters drops_;
  ForwarderCounters counters_;
  // Where the next Poll continues its sweep of the stream and participant tables.
  uint32_t poll_stream_cursor_ = 0;
  uint32_t poll_participant_cursor_ = 0;
};

}  // namespace mgw::dp
