#pragma once

// Sender and receiver reports (RFC 3550 sections 6.4.1 and 6.4.2) read from a packet of a
// validated RtcpCompound, plus the report block both carry.

#include <cstddef>
#include <cstdint>

#include "mgw/dp/rtcp_packet.h"

namespace mgw::dp {

inline constexpr size_t kReportBlockSize = 24;
inline constexpr size_t kSenderInfoSize = 20;
inline constexpr size_t kMaxReportBlocks = 31;  // RC is 5 bits

struct ReportBlock {
  uint32_t ssrc = 0;            // source this block reports on
  uint8_t fraction_lost = 0;    // fixed point, lost/expected * 256 since the last report
  int32_t cumulative_lost = 0;  // 24-bit signed on the wire
  uint32_t extended_highest_seq = 0;
  uint32_t jitter = 0;               // timestamp units
  uint32_t last_sr = 0;              // LSR: middle 32 bits of the last SR's NTP time
  uint32_t delay_since_last_sr = 0;  // DLSR, 1/65536 s

  static ReportBlock Read(const uint8_t* p);
  void Write(uint8_t* p) const;
  friend bool operator==(const ReportBlock&, const ReportBlock&) = default;
};

struct SenderInfo {
  uint32_t ntp_seconds = 0;
  uint32_t ntp_fraction = 0;
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;

  // Middle 32 bits of the NTP timestamp, the LSR value a receiver echoes back.
  uint32_t CompactNtp() const { return (ntp_seconds << 16) | (ntp_fraction >> 16); }
  friend bool operator==(const SenderInfo&, const SenderInfo&) = default;
};

class SenderReportView {
 public:
  // `packet` must be a kSenderReport packet of a validated compound.
  explicit SenderReportView(RtcpPacketView packet) : packet_(packet) {}

  uint32_t ssrc() const { return packet_.sender_ssrc(); }
  SenderInfo sender_info() const;
  size_t block_count() const { return packet_.count(); }
  ReportBlock block(size_t i) const {
    return ReportBlock::Read(packet_.bytes().data() + 8 + kSenderInfoSize + kReportBlockSize * i);
  }

 private:
  RtcpPacketView packet_;
};

class ReceiverReportView {
 public:
  // `packet` must be a kReceiverReport packet of a validated compound.
  explicit ReceiverReportView(RtcpPacketView packet) : packet_(packet) {}

  uint32_t ssrc() const { return packet_.sender_ssrc(); }
  size_t block_count() const { return packet_.count(); }
  ReportBlock block(size_t i) const {
    return ReportBlock::Read(packet_.bytes().data() + 8 + kReportBlockSize * i);
  }

 private:
  RtcpPacketView packet_;
};

}  // namespace mgw::dp
