#pragma once

// Per-leg RTP rewrite state: which encoding of the publisher stream this leg forwards, and the
// sequence number and timestamp offsets that make everything the subscriber receives look like
// one continuous stream with one SSRC, across simulcast switches and feed swaps.
//
// A leg forwards its current encoding. When its target differs (a new bitrate, a new feed after a
// swap) it keeps forwarding the current one and switches on the first keyframe of the target; at
// the switch the output sequence continues at last + 1 and the timestamp advances by the wall
// time since the last packet sent, in the stream's clock.

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
};

struct RewriteResult {
  DropReason reason = DropReason::kNone;  // kNone: forward with the fields below
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  bool switched = false;  // this packet starts a new encoding (or the first one)
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
  uint16_t last_seq_ = 0;  // highest output seq sent
  uint32_t last_ts_ = 0;   // output timestamp of that packet
  uint64_t last_send_us_ = 0;
};

}  // namespace mgw::dp
