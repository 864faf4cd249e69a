#include "mgw/dp/rtcp_packet.h"

namespace mgw::dp {
namespace {

// Minimum body check for the packet types the dataplane reads. `size` excludes padding.
bool TypeBodyIsValid(uint8_t type, uint8_t count, size_t size) {
  switch (type) {
    case rtcp::kSenderReport:
      return size >= 28 + 24 * static_cast<size_t>(count);
    case rtcp::kReceiverReport:
      return size >= 8 + 24 * static_cast<size_t>(count);
    case rtcp::kBye:
      return size >= 4 + 4 * static_cast<size_t>(count);
    case rtcp::kApp:
      return size >= 12;
    case rtcp::kTransportFeedback:
      if (size < rtcp::kFeedbackHeaderSize) return false;
      if (count == rtcp::kFmtNack) {
        const size_t fci = size - rtcp::kFeedbackHeaderSize;
        return fci >= 4 && fci % 4 == 0;
      }
      return true;
    case rtcp::kPayloadFeedback:
      if (size < rtcp::kFeedbackHeaderSize) return false;
      if (count == rtcp::kFmtFir) {
        const size_t fci = size - rtcp::kFeedbackHeaderSize;
        return fci >= 8 && fci % 8 == 0;
      }
      return true;
    default:
      return true;
  }
}

}  // namespace

ParseResult<RtcpCompound> RtcpCompound::Parse(std::span<const uint8_t> bytes) {
  using Result = ParseResult<RtcpCompound>;
  if (bytes.size() < rtcp::kHeaderSize) return Result::Fail(DropReason::kRtcpCompoundError);
  size_t offset = 0;
  while (offset < bytes.size()) {
    const size_t remaining = bytes.size() - offset;
    if (remaining < rtcp::kHeaderSize) return Result::Fail(DropReason::kRtcpCompoundError);
    const uint8_t* p = bytes.data() + offset;
    if ((p[0] >> 6) != 2) return Result::Fail(DropReason::kRtcpCompoundError);
    const size_t size = 4 * (static_cast<size_t>(LoadBe16(p + 2)) + 1);
    if (size > remaining) return Result::Fail(DropReason::kRtcpCompoundError);
    size_t unpadded = size;
    if ((p[0] & 0x20) != 0) {
      // RFC 3550 6.4.1: only the last packet of a compound may be padded.
      if (size != remaining) return Result::Fail(DropReason::kRtcpCompoundError);
      const size_t pad = p[size - 1];
      if (pad == 0 || pad > size - rtcp::kHeaderSize) {
        return Result::Fail(DropReason::kRtcpCompoundError);
      }
      unpadded = size - pad;
    }
    if (!TypeBodyIsValid(p[1], p[0] & 0x1F, unpadded)) {
      return Result::Fail(DropReason::kRtcpCompoundError);
    }
    offset += size;
  }
  RtcpCompound c;
  c.bytes_ = bytes;
  return Result::Ok(c);
}

}  // namespace mgw::dp
