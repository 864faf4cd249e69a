#pragma once

// RTCP compound packets (RFC 3550 section 6.4, RFC 4585 section 6.1, RFC 5104 section 4.3).
// RtcpCompound::Parse walks the compound once and validates every common header (version 2,
// length inside the buffer, padding only on the last packet) and the minimum body of each type
// the dataplane reads (SR, RR, BYE, APP, NACK, PLI, FIR). After that, iteration and the typed views
// in rtcp_report.h and rtcp_feedback.h can read without further bounds checks.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include "mgw/dp/byte_order.h"
#include "mgw/dp/parse_result.h"

namespace mgw::dp {

namespace rtcp {
inline constexpr uint8_t kSenderReport = 200;
inline constexpr uint8_t kReceiverReport = 201;
inline constexpr uint8_t kSourceDescription = 202;
inline constexpr uint8_t kBye = 203;
inline constexpr uint8_t kApp = 204;
inline constexpr uint8_t kTransportFeedback = 205;  // RTPFB, RFC 4585
inline constexpr uint8_t kPayloadFeedback = 206;    // PSFB, RFC 4585

inline constexpr uint8_t kFmtNack = 1;  // RTPFB generic NACK
inline constexpr uint8_t kFmtPli = 1;   // PSFB picture loss indication
inline constexpr uint8_t kFmtFir = 4;   // PSFB full intra request, RFC 5104
inline constexpr uint8_t kFmtAfb = 15;  // PSFB application layer feedback (REMB), ignored

inline constexpr size_t kHeaderSize = 4;
inline constexpr size_t kFeedbackHeaderSize = 12;  // common header + sender SSRC + media SSRC
}  // namespace rtcp

// One packet of a validated compound.
class RtcpPacketView {
 public:
  RtcpPacketView() = default;
  explicit RtcpPacketView(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint8_t type() const { return bytes_[1]; }
  // Reception report count, source count or feedback message type (FMT), by packet type.
  uint8_t count() const { return bytes_[0] & 0x1F; }
  bool has_padding() const { return (bytes_[0] & 0x20) != 0; }
  // The whole packet including its header and padding.
  std::span<const uint8_t> bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  // Length of the packet without trailing padding.
  size_t unpadded_size() const { return has_padding() ? bytes_.size() - bytes_.back() : size(); }
  // First SSRC after the common header (sender SSRC for SR/RR/feedback); 0 when absent.
  uint32_t sender_ssrc() const { return bytes_.size() >= 8 ? LoadBe32(bytes_.data() + 4) : 0; }

 private:
  std::span<const uint8_t> bytes_;
};

class RtcpCompound {
 public:
  RtcpCompound() = default;

  // Never throws; any structural error in any packet yields kRtcpCompoundError for the whole
  // compound (a receiver cannot trust what follows a bad length). Packet types the dataplane does
  // not read (XR, IJ, unknown) pass with only their common header checked.
  static ParseResult<RtcpCompound> Parse(std::span<const uint8_t> bytes);

  std::span<const uint8_t> bytes() const { return bytes_; }
  uint32_t first_sender_ssrc() const { return RtcpPacketView(bytes_).sender_ssrc(); }

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = RtcpPacketView;
    using difference_type = std::ptrdiff_t;
    using pointer = const RtcpPacketView*;
    using reference = RtcpPacketView;

    Iterator() = default;
    explicit Iterator(std::span<const uint8_t> rest) : rest_(rest) {}
    RtcpPacketView operator*() const { return RtcpPacketView(rest_.first(PacketSize())); }
    Iterator& operator++() {
      rest_ = rest_.subspan(PacketSize());
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.rest_.size() == b.rest_.size();
    }

   private:
    size_t PacketSize() const { return 4 * (static_cast<size_t>(LoadBe16(rest_.data() + 2)) + 1); }
    std::span<const uint8_t> rest_;
  };

  Iterator begin() const { return Iterator(bytes_); }
  Iterator end() const { return Iterator(bytes_.last(0)); }

 private:
  std::span<const uint8_t> bytes_;
};

}  // namespace mgw::dp
