#include "mgw/dp/rtcp_builder.h"

#include "mgw/dp/byte_order.h"
#include "mgw/dp/seq_num.h"

namespace mgw::dp {
namespace {

void WriteHeader(uint8_t* p, uint8_t count, uint8_t type, size_t size) {
  p[0] = static_cast<uint8_t>(0x80 | (count & 0x1F));
  p[1] = type;
  StoreBe16(p + 2, static_cast<uint16_t>(size / 4 - 1));
}

size_t BuildFeedback(std::span<uint8_t> out, uint8_t type, uint8_t fmt, uint32_t sender_ssrc,
                     uint32_t media_ssrc, size_t fci_size) {
  const size_t size = rtcp::kFeedbackHeaderSize + fci_size;
  if (out.size() < size) return 0;
  WriteHeader(out.data(), fmt, type, size);
  StoreBe32(out.data() + 4, sender_ssrc);
  StoreBe32(out.data() + 8, media_ssrc);
  return size;
}

}  // namespace

size_t BuildSenderReport(std::span<uint8_t> out, uint32_t ssrc, const SenderInfo& info,
                         std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return 0;
  const size_t size = 8 + kSenderInfoSize + kReportBlockSize * blocks.size();
  if (out.size() < size) return 0;
  uint8_t* p = out.data();
  WriteHeader(p, static_cast<uint8_t>(blocks.size()), rtcp::kSenderReport, size);
  StoreBe32(p + 4, ssrc);
  StoreBe32(p + 8, info.ntp_seconds);
  StoreBe32(p + 12, info.ntp_fraction);
  StoreBe32(p + 16, info.rtp_timestamp);
  StoreBe32(p + 20, info.packet_count);
  StoreBe32(p + 24, info.octet_count);
  for (size_t i = 0; i < blocks.size(); ++i) blocks[i].Write(p + 28 + kReportBlockSize * i);
  return size;
}

size_t BuildReceiverReport(std::span<uint8_t> out, uint32_t sender_ssrc,
                           std::span<const ReportBlock> blocks) {
  if (blocks.size() > kMaxReportBlocks) return 0;
  const size_t size = 8 + kReportBlockSize * blocks.size();
  if (out.size() < size) return 0;
  uint8_t* p = out.data();
  WriteHeader(p, static_cast<uint8_t>(blocks.size()), rtcp::kReceiverReport, size);
  StoreBe32(p + 4, sender_ssrc);
  for (size_t i = 0; i < blocks.size(); ++i) blocks[i].Write(p + 8 + kReportBlockSize * i);
  return size;
}

size_t BuildPli(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc) {
  return BuildFeedback(out, rtcp::kPayloadFeedback, rtcp::kFmtPli, sender_ssrc, media_ssrc, 0);
}

size_t BuildFir(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq_nr) {
  // RFC 5104 4.3.1.1: media SSRC in the common part is 0; the target is in the FCI.
  const size_t size = BuildFeedback(out, rtcp::kPayloadFeedback, rtcp::kFmtFir, sender_ssrc, 0, 8);
  if (size == 0) return 0;
  uint8_t* fci = out.data() + rtcp::kFeedbackHeaderSize;
  StoreBe32(fci, media_ssrc);
  fci[4] = seq_nr;
  fci[5] = fci[6] = fci[7] = 0;
  return size;
}

size_t BuildNack(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc,
                 std::span<const uint16_t> lost) {
  if (lost.empty()) return 0;
  // First pass counts items so the header length is known before writing.
  size_t items = 0;
  for (size_t i = 0; i < lost.size();) {
    const uint16_t pid = lost[i++];
    while (i < lost.size() && SeqDelta(lost[i], pid) >= 1 && SeqDelta(lost[i], pid) <= 16) ++i;
    ++items;
  }
  const size_t size = BuildFeedback(out, rtcp::kTransportFeedback, rtcp::kFmtNack, sender_ssrc,
                                    media_ssrc, 4 * items);
  if (size == 0) return 0;
  uint8_t* fci = out.data() + rtcp::kFeedbackHeaderSize;
  for (size_t i = 0; i < lost.size(); fci += 4) {
    const uint16_t pid = lost[i++];
    uint16_t blp = 0;
    while (i < lost.size() && SeqDelta(lost[i], pid) >= 1 && SeqDelta(lost[i], pid) <= 16) {
      blp = static_cast<uint16_t>(blp | (1u << (SeqDelta(lost[i], pid) - 1)));
      ++i;
    }
    StoreBe16(fci, pid);
    StoreBe16(fci + 2, blp);
  }
  return size;
}

}  // namespace mgw::dp
