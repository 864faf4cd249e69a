#pragma once

// Subscriber legs: one per (subscriber, publisher stream) pair, holding where the leg's packets go
// and how they are rewritten. Indexed three ways: by publisher stream (the fan-out list walked for
// every packet), by subscriber (configuration, limits), and by (subscriber, output SSRC) in a
// fixed-capacity map (feedback from the subscriber names the SSRC it sees).

#include <cstdint>
#include <span>
#include <vector>

#include "mgw/dp/flat_hash_map.h"
#include "mgw/dp/leg_rewriter.h"
#include "mgw/dp/media_config.h"
#include "mgw/dp/srtp_sender.h"
#include "mgw/dp/stream_table.h"

namespace mgw::dp {

using LegId = uint32_t;

struct LegStats {
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;          // RTP header + payload, before SRTP
  uint64_t payload_bytes_sent = 0;  // the octet count of RFC 3550 sender reports
  uint64_t retransmissions = 0;
  uint64_t encoding_switches = 0;
  // From the subscriber's receiver reports about this leg.
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;
  uint32_t jitter = 0;
  uint64_t last_report_us = 0;
};

struct Leg {
  uint32_t subscriber = kInvalidIndex;  // ParticipantTable index
  StreamId stream = kInvalidIndex;
  MediaKind kind = MediaKind::kAudio;
  LegRewriter rewriter;
  uint32_t requested_bitrate_bps = 0;
  uint32_t output_rtx_ssrc = 0;  // 0: plain retransmission
  uint8_t rtx_payload_type = 0;
  uint16_t rtx_sequence_number = 0;
  LegStats stats;
  // With the subscriber's SrtpSender: the indexes of the output and RTX SSRCs under its current
  // keys (SetSrtpKeys resets them).
  SrtpSendIndex srtp_index;
  SrtpSendIndex rtx_srtp_index;
  bool used = false;
};

// Calls f(ssrc, index) for the leg's output SSRC and, when it has one, its RTX SSRC, each with
// its SRTP send index.
template <typename F>
void ForEachSrtpIndex(Leg& leg, F&& f) {
  f(leg.rewriter.output_ssrc(), leg.srtp_index);
  if (leg.output_rtx_ssrc != 0) f(leg.output_rtx_ssrc, leg.rtx_srtp_index);
}

class SubscriptionTable {
 public:
  explicit SubscriptionTable(uint32_t max_legs);

  // Adds a leg with output SSRC leg.rewriter.output_ssrc(). Throws ConfigError when the
  // subscriber already receives that SSRC or the table is full.
  LegId Add(Leg leg);
  void Remove(LegId id);
  // Re-points a leg to another publisher stream (swap); the caller resets its rewriter.
  void Move(LegId id, StreamId new_stream);

  std::span<const LegId> LegsOf(StreamId stream) const {
    return stream < by_stream_.size() ? std::span<const LegId>(by_stream_[stream])
                                      : std::span<const LegId>();
  }
  std::span<const LegId> LegsFor(uint32_t subscriber) const {
    return subscriber < by_subscriber_.size() ? std::span<const LegId>(by_subscriber_[subscriber])
                                              : std::span<const LegId>();
  }
  // O(1): the leg through which `subscriber` receives `output_ssrc`; kInvalidIndex if none.
  LegId Find(uint32_t subscriber, uint32_t output_ssrc) const {
    const LegId* id = by_output_.Find(OutputKey(subscriber, output_ssrc));
    return id ? *id : kInvalidIndex;
  }
  // The subscriber's leg from `stream`; kInvalidIndex if none. Linear in the subscriber's legs.
  LegId FindByStream(uint32_t subscriber, StreamId stream) const;

  Leg& at(LegId id) { return legs_[id]; }
  const Leg& at(LegId id) const { return legs_[id]; }
  size_t size() const { return by_output_.size(); }

 private:
  static uint64_t OutputKey(uint32_t subscriber, uint32_t ssrc) {
    return (static_cast<uint64_t>(subscriber) << 32) | ssrc;
  }
  static void Unlist(std::vector<LegId>& list, LegId id);

  std::vector<Leg> legs_;  // grows at configuration time only
  std::vector<LegId> free_;
  std::vector<std::vector<LegId>> by_stream_;
  std::vector<std::vector<LegId>> by_subscriber_;
  FlatHashMap<uint64_t, LegId> by_output_;
};

}  // namespace mgw::dp
