#include "mgw/dp/rtp_packet.h"

namespace mgw::dp {

ParseResult<RtpPacket> RtpPacket::Parse(uint8_t* data, size_t len) {
  using Result = ParseResult<RtpPacket>;
  if (data == nullptr || len < kRtpFixedHeaderSize) return Result::Fail(DropReason::kShortHeader);
  if ((data[0] >> 6) != 2) return Result::Fail(DropReason::kBadVersion);

  RtpPacket p;
  p.data_ = data;
  p.size_ = len;
  size_t offset = kRtpFixedHeaderSize + 4 * static_cast<size_t>(data[0] & 0x0F);
  if (offset > len) return Result::Fail(DropReason::kCsrcPastEnd);

  if ((data[0] & 0x10) != 0) {
    if (offset + 4 > len) return Result::Fail(DropReason::kExtensionPastEnd);
    p.extension_profile_ = LoadBe16(data + offset);
    const size_t ext_size = 4 * static_cast<size_t>(LoadBe16(data + offset + 2));
    if (offset + 4 + ext_size > len) return Result::Fail(DropReason::kExtensionPastEnd);
    p.extension_offset_ = offset + 4;
    p.extension_size_ = ext_size;
    offset += 4 + ext_size;
  } else {
    p.extension_offset_ = offset;
  }
  p.header_size_ = offset;

  size_t payload_and_padding = len - offset;
  if ((data[0] & 0x20) != 0) {
    // The last octet counts itself, so 0 is invalid; a padding-only packet is allowed.
    const size_t pad = payload_and_padding == 0 ? 0 : data[len - 1];
    if (pad == 0 || pad > payload_and_padding) return Result::Fail(DropReason::kBadPadding);
    p.padding_size_ = pad;
  }
  p.payload_size_ = payload_and_padding - p.padding_size_;
  return Result::Ok(p);
}

}  // namespace mgw::dp
