#include "mgw/rec/sequence_validator.h"

#include "mgw/dp/seq_num.h"

namespace mgw::rec {

namespace {
constexpr uint32_t kSeqMod = 1u << 16;
}

void SequenceValidator::Init(uint16_t seq) {
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;
}

SequenceValidator::Result SequenceValidator::Update(uint16_t seq) {
  if (!started_) {
    started_ = true;
    Init(seq);
    max_seq_ = static_cast<uint16_t>(seq - 1);
    probation_ = min_sequential_;
  }
  const uint16_t udelta = static_cast<uint16_t>(seq - max_seq_);
  if (probation_ > 0) {
    if (seq == static_cast<uint16_t>(max_seq_ + 1)) {
      --probation_;
      max_seq_ = seq;
      if (probation_ == 0) {
        Init(seq);
        return {Verdict::kAccepted, extended_max()};
      }
    } else {
      probation_ = min_sequential_ - 1;
      max_seq_ = seq;
    }
    return {Verdict::kProbation, 0};
  }
  if (udelta < kMaxDropout) {
    if (seq < max_seq_) cycles_ += kSeqMod;  // wrapped
    max_seq_ = seq;
    return {Verdict::kAccepted, extended_max()};
  }
  if (udelta <= kSeqMod - kMaxMisorder) {
    if (seq == bad_seq_) {
      // Two sequential packets after a jump: the sender restarted. Move past every number used
      // so far so the extended space stays increasing.
      cycles_ = (extended_max() / kSeqMod + 2) * kSeqMod;
      Init(seq);
      return {Verdict::kResynced, extended_max()};
    }
    bad_seq_ = (static_cast<uint32_t>(seq) + 1) & (kSeqMod - 1);
    return {Verdict::kBadJump, 0};
  }
  // Duplicate or reordered within kMaxMisorder: extend relative to the highest number seen.
  const int64_t delta = dp::SeqDelta(seq, max_seq_);
  return {Verdict::kAccepted, static_cast<uint64_t>(static_cast<int64_t>(extended_max()) + delta)};
}

}  // namespace mgw::rec
