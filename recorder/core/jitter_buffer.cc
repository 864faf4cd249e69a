#include "mgw/rec/jitter_buffer.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "mgw/dp/rtp_packet.h"
#include "mgw/dp/seq_num.h"

namespace mgw::rec {

namespace {
constexpr size_t kMaxHeld = 16;    // probation packets kept per candidate source
constexpr size_t kMaxRetired = 4;  // SSRCs remembered as "moved away from"
}  // namespace

JitterBuffer::JitterBuffer(const Options& options, Listener& listener)
    : options_(options), listener_(listener) {
  const size_t capacity = std::bit_ceil(std::max<size_t>(options.max_packets, 2));
  ring_.resize(capacity);
  mask_ = capacity - 1;
}

std::optional<uint32_t> JitterBuffer::ssrc() const {
  if (!current_) return std::nullopt;
  return current_->ssrc;
}

void JitterBuffer::Push(std::span<const uint8_t> rtp, TimePoint now) {
  ++stats_.received;
  // Parse only reads; it takes a mutable pointer because the same view also rewrites headers.
  auto parsed = dp::RtpPacket::Parse(const_cast<uint8_t*>(rtp.data()), rtp.size());
  if (!parsed) {
    Drop(JitterDrop::kMalformed);
    return;
  }
  const dp::RtpPacket& packet = *parsed;
  const Fields fields{
      packet.sequence_number(), packet.timestamp(), packet.payload_type(), packet.marker(), now,
      packet.payload()};
  const uint32_t ssrc = packet.ssrc();
  if (current_ && current_->ssrc == ssrc) {
    const auto result = current_->validator.Update(fields.seq);
    switch (result.verdict) {
      case SequenceValidator::Verdict::kAccepted:
        Insert(result.extended, fields);
        break;
      case SequenceValidator::Verdict::kResynced:
        Release(std::nullopt);
        ++stats_.resyncs;
        listener_.OnResync(ssrc);
        ResetRing(result.extended);
        Insert(result.extended, fields);
        break;
      case SequenceValidator::Verdict::kBadJump:
      case SequenceValidator::Verdict::kProbation:
        Drop(JitterDrop::kBadJump);
        break;
    }
  } else if (std::find(retired_.begin(), retired_.end(), ssrc) != retired_.end()) {
    Drop(JitterDrop::kRetiredSsrc);
  } else {
    PushCandidate(ssrc, fields);
  }
  Release(now);
}

void JitterBuffer::PushCandidate(uint32_t ssrc, const Fields& fields) {
  if (!candidate_ || candidate_->ssrc != ssrc) {
    candidate_.emplace(ssrc, options_.min_sequential);
  }
  const auto result = candidate_->validator.Update(fields.seq);
  if (result.verdict == SequenceValidator::Verdict::kAccepted) {
    Source source = std::move(*candidate_);
    candidate_.reset();
    Adopt(std::move(source), result.extended, fields);
    return;
  }
  // Probation: keep the packet, it belongs to the stream if the source validates.
  auto& held = candidate_->held;
  if (held.size() == kMaxHeld) {
    held.erase(held.begin());
    Drop(JitterDrop::kProbationExpired);
  }
  Held h{fields, {fields.payload.begin(), fields.payload.end()}};
  held.push_back(std::move(h));
}

void JitterBuffer::Adopt(Source&& source, uint64_t extended, const Fields& fields) {
  if (current_) {
    const uint32_t old_ssrc = current_->ssrc;
    Release(std::nullopt);
    if (retired_.size() == kMaxRetired) retired_.erase(retired_.begin());
    retired_.push_back(old_ssrc);
    ++stats_.ssrc_changes;
    listener_.OnSsrcChange(old_ssrc, source.ssrc);
  }
  std::vector<Held> held = std::move(source.held);
  source.held.clear();
  current_ = std::move(source);
  unwrapper_.Reset();

  // Start at the oldest held packet that is close enough to belong to this run.
  uint64_t first = extended;
  for (const Held& h : held) {
    const int64_t delta = dp::SeqDelta(h.fields.seq, fields.seq);
    if (delta < 0 && static_cast<uint64_t>(-delta) <= SequenceValidator::kMaxMisorder) {
      first = std::min(first, extended - static_cast<uint64_t>(-delta));
    }
  }
  ResetRing(first);
  for (Held& h : held) {
    const int64_t delta = dp::SeqDelta(h.fields.seq, fields.seq);
    if (delta >= 0 || static_cast<uint64_t>(-delta) > SequenceValidator::kMaxMisorder) {
      Drop(JitterDrop::kProbationExpired);
      continue;
    }
    Fields f = h.fields;
    f.payload = h.bytes;
    Insert(extended - static_cast<uint64_t>(-delta), f);
  }
  Insert(extended, fields);
}

void JitterBuffer::ResetRing(uint64_t next) {
  for (Slot& slot : ring_) {
    slot.state = SlotState::kEmpty;
    slot.extended_seq = UINT64_MAX;
  }
  buffered_ = 0;
  next_ = next;
  highest_ = next;
}

void JitterBuffer::Insert(uint64_t extended, const Fields& fields) {
  if (extended < next_) {
    const Slot& slot = ring_[extended & mask_];
    Drop(slot.extended_seq == extended && slot.state != SlotState::kEmpty ? JitterDrop::kDuplicate
                                                                          : JitterDrop::kLate);
    return;
  }
  // No room: give up the oldest positions (releasing what is there, reporting holes).
  while (extended - next_ > mask_) {
    Slot& slot = ring_[next_ & mask_];
    if (slot.state == SlotState::kBuffered && slot.extended_seq == next_) {
      Emit(slot);
      ++next_;
    } else {
      // Skip the hole up to the next held packet, or just far enough to make room.
      uint64_t end = next_ + 1;
      while (end <= highest_ && !(ring_[end & mask_].state == SlotState::kBuffered &&
                                  ring_[end & mask_].extended_seq == end)) {
        ++end;
      }
      end = end > highest_ ? extended - mask_ : std::min(end, extended - mask_);
      stats_.lost += end - next_;
      listener_.OnGap(current_->ssrc, next_, end - next_);
      next_ = end;
    }
  }
  Slot& slot = ring_[extended & mask_];
  if (slot.extended_seq == extended && slot.state != SlotState::kEmpty) {
    Drop(JitterDrop::kDuplicate);
    return;
  }
  slot.extended_seq = extended;
  slot.state = SlotState::kBuffered;
  slot.timestamp = fields.timestamp;
  slot.payload_type = fields.payload_type;
  slot.marker = fields.marker;
  slot.arrival = fields.arrival;
  // Grow in powers of two: a slot settles after a few packets instead of reallocating each time
  // a larger one than any before lands in it (video packet sizes vary packet to packet).
  if (slot.payload.capacity() < fields.payload.size()) {
    slot.payload.reserve(std::bit_ceil(std::max<size_t>(fields.payload.size(), 128)));
  }
  slot.payload.assign(fields.payload.begin(), fields.payload.end());
  ++buffered_;
  highest_ = std::max(highest_, extended);
}

void JitterBuffer::Emit(Slot& slot) {
  slot.state = SlotState::kReleased;
  --buffered_;
  ++stats_.released;
  OrderedPacket packet;
  packet.ssrc = current_->ssrc;
  packet.extended_seq = slot.extended_seq;
  packet.extended_timestamp = unwrapper_.Unwrap(slot.timestamp);
  packet.payload_type = slot.payload_type;
  packet.marker = slot.marker;
  packet.arrival = slot.arrival;
  packet.payload = slot.payload;
  listener_.OnPacket(packet);
}

void JitterBuffer::Advance(TimePoint now) { Release(now); }

void JitterBuffer::Flush() { Release(std::nullopt); }

void JitterBuffer::Release(std::optional<TimePoint> now) {
  while (buffered_ > 0) {
    Slot& slot = ring_[next_ & mask_];
    if (slot.state == SlotState::kBuffered && slot.extended_seq == next_) {
      Emit(slot);
      ++next_;
      continue;
    }
    // A hole at next_: find the first held packet after it.
    uint64_t first = next_ + 1;
    while (first <= highest_ && !(ring_[first & mask_].state == SlotState::kBuffered &&
                                  ring_[first & mask_].extended_seq == first)) {
      ++first;
    }
    if (now && ring_[first & mask_].arrival + options_.max_delay > *now) break;
    stats_.lost += first - next_;
    listener_.OnGap(current_->ssrc, next_, first - next_);
    next_ = first;
  }
}

}  // namespace mgw::rec
