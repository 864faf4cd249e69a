#pragma once

// The packets a Forwarder call produces, in storage the caller owns (sized once per worker, reused
// every burst). Each output is two byte ranges to send back to back as one datagram:
//   head: bytes in the batch's arena (a rewritten RTP header, or a whole packet the dataplane
//         built or encrypted for this destination);
//   tail: the ingress payload, shared by every leg of that packet and never copied; empty when
//         head holds the whole datagram.
// An I/O layer sends head+tail as two iovecs (sendmmsg, io_uring) or as a header mbuf chained to
// the shared payload mbuf (DPDK). Everything stays valid until the batch is cleared, and tails
// until the ingress buffers are released.

#include <cstddef>
#include <cstdint>
#include <span>

#include "mgw/dp/endpoint.h"

namespace mgw::dp {

inline constexpr uint32_t kNoInput = UINT32_MAX;

struct OutputPacket {
  Endpoint destination;
  std::span<const uint8_t> head;
  std::span<const uint8_t> tail;  // points into ingress packet `input`'s buffer
  uint32_t input = kNoInput;      // index in the burst of the ingress packet that caused this
  bool rtcp = false;

  size_t size() const { return head.size() + tail.size(); }
};

class OutputBatch {
 public:
  OutputBatch(std::span<OutputPacket> slots, std::span<uint8_t> arena)
      : slots_(slots), arena_(arena) {}

  void Clear() {
    count_ = 0;
    arena_used_ = 0;
  }

  std::span<const OutputPacket> packets() const { return slots_.first(count_); }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t arena_used() const { return arena_used_; }

  // Scratch space for the next output's head: at least `min_size` bytes, or empty when either
  // the arena or the packet slots are exhausted. Nothing is taken until Commit.
  std::span<uint8_t> Reserve(size_t min_size) {
    if (count_ == slots_.size() || arena_.size() - arena_used_ < min_size) return {};
    return arena_.subspan(arena_used_);
  }

  // Takes the first `used` bytes of the last Reserve as the head of a new output.
  void Commit(size_t used, const Endpoint& destination, std::span<const uint8_t> tail,
              uint32_t input, bool rtcp) {
    slots_[count_++] =
        OutputPacket{destination, arena_.subspan(arena_used_, used), tail, input, rtcp};
    arena_used_ += used;
  }

 private:
  std::span<OutputPacket> slots_;
  std::span<uint8_t> arena_;
  size_t count_ = 0;
  size_t arena_used_ = 0;
};

}  // namespace mgw::dp
