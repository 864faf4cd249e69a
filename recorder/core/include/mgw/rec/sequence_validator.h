#pragma once

// RTP sequence number validation, RFC 3550 appendix A.1: a source is accepted after
// kMinSequential packets in sequence (probation); a jump of more than kMaxDropout ahead or
// kMaxMisorder behind is a "bad" packet unless the next packet follows it, in which case the
// sender restarted and the state is resynchronised. Sequence numbers are extended to 64 bits so
// wrap-around never reorders anything downstream; a resync keeps them increasing.

#include <cstdint>

namespace mgw::rec {

class SequenceValidator {
 public:
  static constexpr int kMinSequential = 2;
  static constexpr uint32_t kMaxDropout = 3000;
  static constexpr uint32_t kMaxMisorder = 100;

  enum class Verdict : uint8_t {
    kAccepted,   // `extended` is valid (in order, or reordered within kMaxMisorder)
    kProbation,  // source not validated yet; the packet may be kept until it is
    kBadJump,    // a large jump; dropped unless the next packet confirms it
    kResynced,   // the jump was confirmed: `extended` starts a new run, older state is void
  };
  struct Result {
    Verdict verdict = Verdict::kProbation;
    uint64_t extended = 0;
  };

  SequenceValidator() = default;
  explicit SequenceValidator(int min_sequential) : min_sequential_(min_sequential) {}

  Result Update(uint16_t seq);

  bool validated() const { return started_ && probation_ == 0; }
  // Highest extended sequence number accepted so far (valid once validated()).
  uint64_t extended_max() const { return cycles_ + max_seq_; }

 private:
  void Init(uint16_t seq);

  int min_sequential_ = kMinSequential;
  bool started_ = false;
  int probation_ = 0;
  uint16_t max_seq_ = 0;
  // Starts one cycle up so a packet reordered before the first one still extends to >= 0.
  uint64_t cycles_ = 1u << 16;
  uint32_t bad_seq_ = (1u << 16) + 1;  // "none": no 16-bit value equals it
};

}  // namespace mgw::rec
