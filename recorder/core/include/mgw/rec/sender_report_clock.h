#pragma once

// Per-SSRC mapping from RTP timestamps to the sender's NTP wallclock, taken from the latest RTCP
// sender report (RFC 3550 section 6.4.1). Streams from one sender (same clock) can then be placed
// against each other: that is how audio and video of a participant are aligned (lip sync).

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>

namespace mgw::rec {

class SenderReportClocks {
 public:
  // Records one sender report. `ntp` is the 64-bit NTP timestamp (seconds << 32 | fraction).
  void OnSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtp_timestamp);
  // Reads every SR of an RTCP compound; returns how many were taken (0 for a malformed compound).
  size_t OnRtcp(std::span<const uint8_t> compound);
  void SetClockRate(uint32_t ssrc, uint32_t clock_rate) { clock_rates_[ssrc] = clock_rate; }

  // The sender's wallclock, in microseconds since the NTP epoch, at `rtp_timestamp`; nullopt
  // until an SR for `ssrc` arrived (or without a clock rate). Timestamps within 2^31 ticks of
  // the SR's either way are mapped.
  std::optional<int64_t> WallclockMicros(uint32_t ssrc, uint32_t rtp_timestamp) const;
  bool has(uint32_t ssrc) const { return reports_.count(ssrc) != 0; }

 private:
  struct Report {
    uint64_t ntp = 0;
    uint32_t rtp_timestamp = 0;
  };
  std::unordered_map<uint32_t, Report> reports_;
  std::unordered_map<uint32_t, uint32_t> clock_rates_;
};

// NTP 64-bit fixed point to microseconds, and back.
int64_t NtpToMicros(uint64_t ntp);
uint64_t MicrosToNtp(int64_t micros);

}  // namespace mgw::rec
