#pragma once

// RTP packet (RFC 3550 section 5.1) as a mutable view over a caller-owned buffer. Parse validates
// every length field against the buffer so the accessors can trust them; the header extension
// (RFC 8285 one-byte 0xBEDE or two-byte 0x100X profile, or any other) is carried through
// untouched. Setters rewrite header fields in place for per-leg fan-out.

#include <cstddef>
#include <cstdint>
#include <span>

#include "mgw/dp/byte_order.h"
#include "mgw/dp/parse_result.h"

namespace mgw::dp {

inline constexpr size_t kRtpFixedHeaderSize = 12;
inline constexpr uint16_t kRtpOneByteExtensionProfile = 0xBEDE;  // RFC 8285 section 4.2
inline constexpr uint16_t kRtpTwoByteExtensionProfile = 0x1000;  // RFC 8285 section 4.3, & 0xFFF0

// The header fields a leg rewrites; everything else (marker, CSRCs, extension) is left alone.
struct RtpHeaderFields {
  uint32_t ssrc = 0;
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  uint8_t payload_type = 0;
};

// Writes `fields` into the fixed header at `header` (at least 12 bytes of a valid RTP packet).
inline void WriteRtpHeaderFields(uint8_t* header, const RtpHeaderFields& fields) {
  header[1] = static_cast<uint8_t>((header[1] & 0x80) | (fields.payload_type & 0x7F));
  StoreBe16(header + 2, fields.sequence_number);
  StoreBe32(header + 4, fields.timestamp);
  StoreBe32(header + 8, fields.ssrc);
}

class RtpPacket {
 public:
  RtpPacket() = default;

  // Never throws; a malformed buffer yields its DropReason. The view borrows `data`.
  static ParseResult<RtpPacket> Parse(uint8_t* data, size_t len);
  static ParseResult<RtpPacket> Parse(std::span<uint8_t> bytes) {
    return Parse(bytes.data(), bytes.size());
  }

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<uint8_t> bytes() const { return {data_, size_}; }

  bool marker() const { return (data_[1] & 0x80) != 0; }
  uint8_t payload_type() const { return data_[1] & 0x7F; }
  uint16_t sequence_number() const { return LoadBe16(data_ + 2); }
  uint32_t timestamp() const { return LoadBe32(data_ + 4); }
  uint32_t ssrc() const { return LoadBe32(data_ + 8); }
  uint8_t csrc_count() const { return data_[0] & 0x0F; }
  uint32_t csrc(size_t i) const { return LoadBe32(data_ + kRtpFixedHeaderSize + 4 * i); }
  bool has_padding() const { return (data_[0] & 0x20) != 0; }
  bool has_extension() const { return (data_[0] & 0x10) != 0; }

  // Extension profile ("defined by profile" field) and its body, without the 4-byte extension
  // header; 0 and empty when there is no extension.
  uint16_t extension_profile() const { return extension_profile_; }
  std::span<uint8_t> extension() const { return {data_ + extension_offset_, extension_size_}; }
  bool has_one_byte_extensions() const {
    return has_extension() && extension_profile_ == kRtpOneByteExtensionProfile;
  }
  bool has_two_byte_extensions() const {
    return has_extension() && (extension_profile_ & 0xFFF0) == kRtpTwoByteExtensionProfile;
  }

  // Fixed header + CSRCs + extension.
  size_t header_size() const { return header_size_; }
  std::span<uint8_t> header() const { return {data_, header_size_}; }
  // Media payload, padding excluded.
  std::span<uint8_t> payload() const { return {data_ + header_size_, payload_size_}; }
  size_t padding_size() const { return padding_size_; }
  // Everything after the header: payload followed by padding, as it goes on the wire.
  std::span<uint8_t> payload_with_padding() const {
    return {data_ + header_size_, size_ - header_size_};
  }

  void set_marker(bool m) { data_[1] = static_cast<uint8_t>((data_[1] & 0x7F) | (m ? 0x80 : 0)); }
  void set_payload_type(uint8_t pt) {
    data_[1] = static_cast<uint8_t>((data_[1] & 0x80) | (pt & 0x7F));
  }
  void set_sequence_number(uint16_t seq) { StoreBe16(data_ + 2, seq); }
  void set_timestamp(uint32_t ts) { StoreBe32(data_ + 4, ts); }
  void set_ssrc(uint32_t ssrc) { StoreBe32(data_ + 8, ssrc); }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t header_size_ = 0;
  size_t payload_size_ = 0;
  size_t padding_size_ = 0;
  size_t extension_offset_ = 0;
  size_t extension_size_ = 0;
  uint16_t extension_profile_ = 0;
};

}  // namespace mgw::dp
