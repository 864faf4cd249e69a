#include "mgw/dp/rtx.h"

#include <cstring>

namespace mgw::dp {

size_t WriteRtxPacket(std::span<uint8_t> out, const RtpPacket& original, const RtpHeaderFields& rtx,
                      uint16_t original_seq) {
  const size_t header = original.header_size();
  const size_t payload = original.payload().size();
  const size_t size = header + 2 + payload;
  if (out.size() < size) return 0;
  uint8_t* p = out.data();
  std::memcpy(p, original.data(), header);
  p[0] = static_cast<uint8_t>(p[0] & ~0x20);  // no padding in the copy
  StoreBe16(p + header, original_seq);
  std::memcpy(p + header + 2, original.payload().data(), payload);
  WriteRtpHeaderFields(p, rtx);
  return size;
}

ParseResult<RtpPacket> DecapsulateRtx(const RtpPacket& rtx, uint32_t media_ssrc,
                                      uint8_t media_payload_type) {
  if (rtx.payload().size() < 2) return ParseResult<RtpPacket>::Fail(DropReason::kRtxMalformed);
  uint8_t* data = rtx.data();
  const size_t header = rtx.header_size();
  const uint16_t osn = LoadBe16(data + header);
  std::memmove(data + 2, data, header);
  ParseResult<RtpPacket> original = RtpPacket::Parse(data + 2, rtx.size() - 2);
  if (!original) return original;
  original->set_sequence_number(osn);
  original->set_ssrc(media_ssrc);
  original->set_payload_type(media_payload_type);
  return original;
}

}  // namespace mgw::dp
