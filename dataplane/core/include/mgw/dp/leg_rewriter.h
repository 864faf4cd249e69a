#pragma once

// Per-leg RTP rewrite state: which encoding of the publisher stream this leg forwards, and the
// sequence number and timestamp offsets that make everything the subscriber receives look like
// one continuous stream with one SSRC, across simulcast switches and feed swaps.
//
// A leg forwards its current encoding. When its target differs (a new bitrate, a new feed after a
// swap) it keeps forwarding the current one and switches on the first keyframe of the target; at
// the switch the output sequence continues at last + 1 and the timestamp advances by the wall
// time since the last packet sent, in the stream's clock.
//
// A sender that restarts with the same SSRC (a new random sequence number, RFC 3550 5.1) is
// re-based the same way once it is confirmed, as in RFC 3550 A.1: a packet more than
// kRestartDistance behind the highest one opens a possible restart and the very next packet must
// continue it. Output then goes on at last + 2, leaving last + 1 to the packet that opened the
// jump, which a NACK recovers from the cache. A single late packet, or retransmissions (RTX),
// never re-base: they keep the numbers their originals went out with. The distance is A.1's
// MAX_DROPOUT rather than MAX_MISORDER (100), because at screen-share rates a burst of plain
// retransmissions can arrive a few hundred packets late, back to back; a restart that lands
// within 3,000 numbers behind (about 5 % of random starts) is forwarded as late packets.

#include <cstdint>

#include "mgw/dp/drop_reason.h"
#include "mgw/dp/simulcast_selector.h"

namespace mgw::dp {

struct RewriteInput {
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  int encoding = 0;             // encoding of the publisher stream this packet belongs to
  bool keyframe_start = false;  // first packet of a keyframe (always true for audio)
  uint32_t clock_rate = 90000;
  uint64_t now_us = 0;
  bool retransmission = false;  // arrived as RTX: never taken for a sender restart
};

struct RewriteResult {
  DropReason reason = DropReason::kNone;  // kNone: forward with the fields below
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  bool switched = false;  // this packet starts a new encoding (or the first one)
  bool rebased = false;   // this packet confirmed a sender restart; output continues past it
};

class LegRewriter {
 public:
  LegRewriter() = default;
  explicit LegRewriter(uint32_t output_ssrc) : output_ssrc_(output_ssrc) {}

  uint32_t output_ssrc() const { return output_ssrc_; }

  // Maps the source's payload type to the one the subscriber negotiated; others pass unchanged.
  void SetPayloadTypeMapping(uint8_t from, uint8_t to) {
    pt_from_ = from;
    pt_to_ = to;
  }
  uint8_t MapPayloadType(uint8_t pt) const { return pt == pt_from_ ? pt_to_ : pt; }

  // kNoEncoding pauses the leg at once; another encoding is switched to at its next keyframe.
  void SetTarget(int encoding);
  // The leg now draws from a different publisher stream: nothing is forwarded until a keyframe of
  // `target` on the new stream, and output continues where it stopped.
  void ResetSource(int target);

  int target() const { return target_; }
  int current() const { return current_; }
  bool started() const { return started_; }
  bool waiting_for_keyframe() const { return target_ != kNoEncoding && target_ != current_; }

  RewriteResult Rewrite(const RewriteInput& in);

  // Input sequence number of the current encoding that went out as `output_seq`; false for
  // numbers sent before the last switch or not sent yet (a NACK for those cannot be answered).
  bool MapOutputSequence(uint16_t output_seq, uint16_t* input_seq) const;
  // Output timestamp for an input timestamp of the current encoding (sender report rewrite).
  uint32_t MapTimestamp(uint32_t input_timestamp) const { return input_timestamp + ts_offset_; }

  uint16_t last_sequence_number() const { return last_seq_; }
  uint32_t last_timestamp() const { return last_ts_; }

 private:
  uint32_t TimestampAdvance(const RewriteInput& in) const;

  uint32_t output_ssrc_ = 0;
  uint8_t pt_from_ = kKeepPayloadTypeSentinel;
  uint8_t pt_to_ = kKeepPayloadTypeSentinel;
  static constexpr uint8_t kKeepPayloadTypeSentinel = 0xFF;  // never equals a 7-bit PT

  int current_ = kNoEncoding;
  int target_ = kNoEncoding;
  bool started_ = false;  // something has been sent; offsets must keep output continuous
  uint16_t seq_offset_ = 0;
  uint32_t ts_offset_ = 0;
  uint16_t switch_input_seq_ = 0;   // first input seq of the current encoding
  uint16_t switch_output_seq_ = 0;  // its output seq
  // True until the output has moved kRecentSwitchSpan past the switch; only then can 16-bit
  // comparisons tell packets from before the switch.
  bool switch_recent_ = false;
  static constexpr uint16_t kRecentSwitchSpan = 0x4000;
  // A packet further behind the highest one opens a possible restart (A.1's MAX_DROPOUT).
  static constexpr int32_t kRestartDistance = 3000;
  bool jump_pending_ = false;  // the last packet jumped back; bad_seq_ would confirm it
  uint16_t bad_seq_ = 0;       // A.1's bad_seq: the sequence number that continues the jump
  uint16_t last_seq_ = 0;      // highest output seq sent
  uint32_t last_ts_ = 0;       // output timestamp of that packet
  uint64_t last_send_us_ = 0;
};

}  // namespace mgw::dp
