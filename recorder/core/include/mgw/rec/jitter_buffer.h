#pragma once

// Per-stream reorder buffer in front of a depacketizer. Packets are validated with RFC 3550 A.1
// (SequenceValidator), held in a ring indexed by extended sequence number, and released in order
// as soon as the next one is present. A hole is waited for until the packet after it has been
// held `max_delay`, or until the ring is full; then the hole is reported as a gap and skipped.
// Duplicates and packets that arrive after their slot was released are dropped and counted.
//
// One buffer follows one logical stream (a participant's audio or video). A new SSRC must pass
// probation like any source; once it does, the old SSRC's packets are flushed, the change is
// reported, and the old SSRC is ignored from then on (stragglers cannot flip the stream back).
//
// Nothing here reads a clock: callers pass `now`. Payload bytes are copied into the ring's
// reusable buffers, so steady state allocates nothing per packet.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mgw/rec/media_clock.h"
#include "mgw/rec/sequence_validator.h"
#include "mgw/rec/timestamp_unwrapper.h"

namespace mgw::rec {

// A packet released in order. `payload` points into the buffer and is valid only during the
// listener call.
struct OrderedPacket {
  uint32_t ssrc = 0;
  uint64_t extended_seq = 0;
  uint64_t extended_timestamp = 0;  // RTP timestamp unwrapped to 64 bits
  uint8_t payload_type = 0;
  bool marker = false;
  TimePoint arrival;
  std::span<const uint8_t> payload;
};

enum class JitterDrop : uint8_t {
  kMalformed,         // not a parseable RTP packet
  kDuplicate,         // this sequence number is already held or was released
  kLate,              // arrived after its slot was given up as a gap
  kBadJump,           // A.1 "bad" sequence number, not (yet) confirmed by the next packet
  kRetiredSsrc,       // from an SSRC the stream already moved away from
  kProbationExpired,  // held during probation, too far from where the source validated
  kCount,
};

class JitterBuffer {
 public:
  struct Options {
    size_t max_packets = 512;  // rounded up to a power of two
    std::chrono::milliseconds max_delay{200};
    int min_sequential = SequenceValidator::kMinSequential;
  };

  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnPacket(const OrderedPacket& packet) = 0;
    // `count` packets starting at `first_missing` will never be released.
    virtual void OnGap(uint32_t ssrc, uint64_t first_missing, uint64_t count) = 0;
    // The sender restarted its sequence numbers on the same SSRC (A.1 resync).
    virtual void OnResync(uint32_t ssrc) = 0;
    // Everything from `old_ssrc` has been released; packets from `new_ssrc` follow.
    virtual void OnSsrcChange(uint32_t old_ssrc, uint32_t new_ssrc) = 0;
  };

  struct Stats {
    uint64_t received = 0;
    uint64_t released = 0;
    uint64_t lost = 0;
    uint64_t ssrc_changes = 0;
    uint64_t resyncs = 0;
    std::array<uint64_t, static_cast<size_t>(JitterDrop::kCount)> drops{};
    uint64_t drop(JitterDrop reason) const { return drops[static_cast<size_t>(reason)]; }
  };

  JitterBuffer(const Options& options, Listener& listener);

  // Takes one RTP packet (copied); may release packets through the listener.
  void Push(std::span<const uint8_t> rtp, TimePoint now);
  // Releases what is due at `now`: waits that ran out become gaps.
  void Advance(TimePoint now);
  // Releases everything held, reporting holes as gaps (end of stream, SSRC change).
  void Flush();

  std::optional<uint32_t> ssrc() const;
  size_t buffered() const { return buffered_; }
  const Stats& stats() const { return stats_; }

 private:
  struct Fields {
    uint16_t seq = 0;
    uint32_t timestamp = 0;
    uint8_t payload_type = 0;
    bool marker = false;
    TimePoint arrival;
    std::span<const uint8_t> payload;
  };
  enum class SlotState : uint8_t { kEmpty, kBuffered, kReleased };
  struct Slot {
    uint64_t extended_seq = UINT64_MAX;
    SlotState state = SlotState::kEmpty;
    uint32_t timestamp = 0;
    uint8_t payload_type = 0;
    bool marker = false;
    TimePoint arrival;
    std::vector<uint8_t> payload;
  };
  struct Held {
    Fields fields;
    std::vector<uint8_t> bytes;
  };
  struct Source {
    Source(uint32_t source_ssrc, int min_sequential)
        : ssrc(source_ssrc), validator(min_sequential) {}
    uint32_t ssrc = 0;
    SequenceValidator validator;
    std::vector<Held> held;  // packets seen during probation
  };

  void PushCandidate(uint32_t ssrc, const Fields& fields);
  void Adopt(Source&& source, uint64_t extended, const Fields& fields);
  void Insert(uint64_t extended, const Fields& fields);
  void Release(std::optional<TimePoint> now);  // nullopt: release everything
  void Emit(Slot& slot);
  void ResetRing(uint64_t next);
  void Drop(JitterDrop reason) { ++stats_.drops[static_cast<size_t>(reason)]; }

  Options options_;
  Listener& listener_;
  std::vector<Slot> ring_;
  uint64_t mask_ = 0;
  uint64_t next_ = 0;     // next extended sequence number to release
  uint64_t highest_ = 0;  // highest extended sequence number held
  size_t buffered_ = 0;
  std::optional<Source> current_;
  std::optional<Source> candidate_;
  std::vector<uint32_t> retired_;
  TimestampUnwrapper unwrapper_;
  Stats stats_;
};

}  // namespace mgw::rec
