#pragma once

// Receive statistics of one RTP stream: packet and byte counts, extended highest sequence number
// with wrap handling (RFC 3550 A.1), interarrival jitter (A.8), and the report block an RR carries
// (A.3 loss fractions, LSR/DLSR from the last SR). Time is injected in microseconds.

#include <cstddef>
#include <cstdint>

#include "mgw/dp/rtcp_report.h"

namespace mgw::dp {

// Converts a microsecond clock to RTP timestamp units without overflowing 64 bits.
inline uint64_t MicrosToRtpUnits(uint64_t us, uint32_t clock_rate) {
  return (us / 1'000'000) * clock_rate + (us % 1'000'000) * clock_rate / 1'000'000;
}

class ReceiveStats {
 public:
  static constexpr uint32_t kMaxDropout = 3000;  // A.1: a forward jump larger than this restarts
  static constexpr uint32_t kMaxMisorder = 100;  // A.1: older by more than this is a restart too

  ReceiveStats() = default;
  explicit ReceiveStats(uint32_t clock_rate) : clock_rate_(clock_rate) {}

  // Counts one packet. Returns false when A.1 judged it part of a large jump (it is still counted
  // in packets/bytes, but not in the sequence state until a second packet confirms the jump).
  bool OnPacket(uint16_t seq, uint32_t rtp_timestamp, size_t bytes, uint64_t now_us);

  // Remembers the publisher's last SR for the LSR/DLSR fields of our next report.
  void OnSenderReport(uint32_t compact_ntp, uint64_t now_us) {
    last_sr_ = compact_ntp;
    last_sr_arrival_us_ = now_us;
    has_sr_ = true;
  }

  // Report block for `ssrc` as of now; closes the current loss interval (fraction_lost covers the
  // time since the previous call).
  ReportBlock MakeReportBlock(uint32_t ssrc, uint64_t now_us);

  bool has_packets() const { return started_; }
  uint64_t packets() const { return packets_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t last_packet_us() const { return last_packet_us_; }
  uint32_t extended_highest_seq() const { return cycles_ + max_seq_; }
  // Expected minus received since the first packet; negative with duplicates.
  int64_t cumulative_lost() const;
  // A.8 jitter in timestamp units.
  uint32_t jitter() const { return jitter_q4_ >> 4; }
  uint32_t clock_rate() const { return clock_rate_; }

 private:
  void Restart(uint16_t seq);

  uint32_t clock_rate_ = 90000;
  bool started_ = false;
  uint16_t max_seq_ = 0;
  uint32_t cycles_ = 0;  // count of wraps, shifted left by 16
  uint32_t base_seq_ = 0;
  uint32_t bad_seq_ = 0;
  uint64_t received_ = 0;  // packets accepted into the sequence state
  uint64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;
  bool has_transit_ = false;
  int64_t transit_ = 0;
  uint32_t jitter_q4_ = 0;  // jitter * 16, the A.8 integer form
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  uint64_t last_packet_us_ = 0;
  bool has_sr_ = false;
  uint32_t last_sr_ = 0;
  uint64_t last_sr_arrival_us_ = 0;
};

}  // namespace mgw::dp
