#include "mgw/rec/sender_report_clock.h"

#include "mgw/dp/rtcp_packet.h"
#include "mgw/dp/rtcp_report.h"

namespace mgw::rec {

int64_t NtpToMicros(uint64_t ntp) {
  const uint64_t seconds = ntp >> 32;
  const uint64_t fraction = ntp & 0xFFFFFFFFu;
  return static_cast<int64_t>(seconds * 1'000'000 + ((fraction * 1'000'000) >> 32));
}

uint64_t MicrosToNtp(int64_t micros) {
  const uint64_t u = static_cast<uint64_t>(micros);
  const uint64_t seconds = u / 1'000'000;
  const uint64_t rest = u % 1'000'000;
  return (seconds << 32) | ((rest << 32) / 1'000'000);
}

void SenderReportClocks::OnSenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtp_timestamp) {
  reports_[ssrc] = Report{ntp, rtp_timestamp};
}

size_t SenderReportClocks::OnRtcp(std::span<const uint8_t> compound) {
  auto parsed = dp::RtcpCompound::Parse(compound);
  if (!parsed) return 0;
  size_t taken = 0;
  for (dp::RtcpPacketView packet : *parsed) {
    if (packet.type() != dp::rtcp::kSenderReport) continue;
    dp::SenderReportView sr(packet);
    const dp::SenderInfo info = sr.sender_info();
    OnSenderReport(sr.ssrc(), (uint64_t{info.ntp_seconds} << 32) | info.ntp_fraction,
                   info.rtp_timestamp);
    ++taken;
  }
  return taken;
}

std::optional<int64_t> SenderReportClocks::WallclockMicros(uint32_t ssrc,
                                                           uint32_t rtp_timestamp) const {
  auto report = reports_.find(ssrc);
  auto rate = clock_rates_.find(ssrc);
  if (report == reports_.end() || rate == clock_rates_.end() || rate->second == 0) {
    return std::nullopt;
  }
  const int64_t ticks = static_cast<int32_t>(rtp_timestamp - report->second.rtp_timestamp);
  return NtpToMicros(report->second.ntp) + ticks * 1'000'000 / static_cast<int64_t>(rate->second);
}

}  // namespace mgw::rec
