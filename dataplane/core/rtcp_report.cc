#include "mgw/dp/rtcp_report.h"

#include <algorithm>

namespace mgw::dp {

ReportBlock ReportBlock::Read(const uint8_t* p) {
  ReportBlock b;
  b.ssrc = LoadBe32(p);
  b.fraction_lost = p[4];
  const uint32_t lost = LoadBe24(p + 5);
  // Sign-extend the 24-bit field.
  b.cumulative_lost = static_cast<int32_t>((lost & 0x800000u) ? (lost | 0xFF000000u) : lost);
  b.extended_highest_seq = LoadBe32(p + 8);
  b.jitter = LoadBe32(p + 12);
  b.last_sr = LoadBe32(p + 16);
  b.delay_since_last_sr = LoadBe32(p + 20);
  return b;
}

void ReportBlock::Write(uint8_t* p) const {
  StoreBe32(p, ssrc);
  p[4] = fraction_lost;
  // Clamp to the 24-bit signed range RFC 3550 A.3 asks for.
  const int32_t lost = std::clamp<int32_t>(cumulative_lost, -0x800000, 0x7FFFFF);
  StoreBe24(p + 5, static_cast<uint32_t>(lost) & 0xFFFFFFu);
  StoreBe32(p + 8, extended_highest_seq);
  StoreBe32(p + 12, jitter);
  StoreBe32(p + 16, last_sr);
  StoreBe32(p + 20, delay_since_last_sr);
}

SenderInfo SenderReportView::sender_info() const {
  const uint8_t* p = packet_.bytes().data() + 8;
  SenderInfo s;
  s.ntp_seconds = LoadBe32(p);
  s.ntp_fraction = LoadBe32(p + 4);
  s.rtp_timestamp = LoadBe32(p + 8);
  s.packet_count = LoadBe32(p + 12);
  s.octet_count = LoadBe32(p + 16);
  return s;
}

}  // namespace mgw::dp
