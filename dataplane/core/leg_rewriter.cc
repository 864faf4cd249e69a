#include "mgw/dp/leg_rewriter.h"

#include "mgw/dp/receive_stats.h"
#include "mgw/dp/seq_num.h"

namespace mgw::dp {

void LegRewriter::SetTarget(int encoding) {
  target_ = encoding;
  if (encoding == kNoEncoding) current_ = kNoEncoding;
}

void LegRewriter::ResetSource(int target) {
  current_ = kNoEncoding;
  target_ = target;
}

uint32_t LegRewriter::TimestampAdvance(const RewriteInput& in) const {
  // The wall time since the last packet sent, in the stream's clock; at least one tick so the
  // new timestamp is always later.
  const uint64_t elapsed_us = in.now_us > last_send_us_ ? in.now_us - last_send_us_ : 0;
  const auto advance = static_cast<uint32_t>(MicrosToRtpUnits(elapsed_us, in.clock_rate));
  return advance == 0 ? 1 : advance;
}

RewriteResult LegRewriter::Rewrite(const RewriteInput& in) {
  RewriteResult out;
  if (in.encoding == current_) {
    const auto last_input = static_cast<uint16_t>(last_seq_ - seq_offset_);
    const bool far_behind =
        !in.retransmission && SeqDelta(in.sequence_number, last_input) < -kRestartDistance;
    if (far_behind && jump_pending_ && in.sequence_number == bad_seq_) {
      // Two packets in a row, in sequence, far behind: the sender restarted. Continue the
      // output past a slot for the packet that opened the jump.
      jump_pending_ = false;
      seq_offset_ = static_cast<uint16_t>(last_seq_ + 2 - in.sequence_number);
      ts_offset_ = last_ts_ + TimestampAdvance(in) - in.timestamp;
      switch_input_seq_ = static_cast<uint16_t>(in.sequence_number - 1);
      switch_output_seq_ = static_cast<uint16_t>(last_seq_ + 1);
      switch_recent_ = true;
      out.rebased = true;
    } else {
      jump_pending_ = far_behind;
      bad_seq_ = static_cast<uint16_t>(in.sequence_number + 1);
    }
    // Reordered packets from before the switch would land on output numbers already used. The
    // check holds only while the switch is recent: 16-bit comparisons flip after half the
    // sequence space, and a long-running stream must not look stale to its own first packet.
    if (!out.rebased && switch_recent_ && SeqIsNewer(switch_input_seq_, in.sequence_number)) {
      out.reason = DropReason::kStalePacket;
      return out;
    }
  } else if (in.encoding == target_) {
    if (!in.keyframe_start) {
      out.reason = DropReason::kWaitingForKeyframe;
      return out;
    }
    if (started_) {
      seq_offset_ = static_cast<uint16_t>(last_seq_ + 1 - in.sequence_number);
      ts_offset_ = last_ts_ + TimestampAdvance(in) - in.timestamp;
    } else {
      seq_offset_ = 0;
      ts_offset_ = 0;
    }
    current_ = in.encoding;
    jump_pending_ = false;
    switch_input_seq_ = in.sequence_number;
    switch_output_seq_ = static_cast<uint16_t>(in.sequence_number + seq_offset_);
    switch_recent_ = true;
    out.switched = true;
  } else {
    out.reason = DropReason::kLayerNotSelected;
    return out;
  }

  out.sequence_number = static_cast<uint16_t>(in.sequence_number + seq_offset_);
  out.timestamp = in.timestamp + ts_offset_;
  if (!started_ || out.switched || out.rebased || SeqIsNewer(out.sequence_number, last_seq_)) {
    last_seq_ = out.sequence_number;
    last_ts_ = out.timestamp;
    last_send_us_ = in.now_us;
    if (static_cast<uint16_t>(last_seq_ - switch_output_seq_) >= kRecentSwitchSpan) {
      switch_recent_ = false;
    }
  }
  started_ = true;
  return out;
}

bool LegRewriter::MapOutputSequence(uint16_t output_seq, uint16_t* input_seq) const {
  if (current_ == kNoEncoding || !started_) return false;
  if ((switch_recent_ && SeqIsNewer(switch_output_seq_, output_seq)) ||
      SeqIsNewer(output_seq, last_seq_)) {
    return false;
  }
  *input_seq = static_cast<uint16_t>(output_seq - seq_offset_);
  return true;
}

}  // namespace mgw::dp
