#pragma once

// Feedback messages the dataplane routes (RFC 4585 section 6, RFC 5104 section 4.3.1): generic
// NACK (RTPFB FMT 1), PLI (PSFB FMT 1) and FIR (PSFB FMT 4). Views are built on packets of a
// validated RtcpCompound, which guarantees the FCI sizes used here.

#include <cstddef>
#include <cstdint>

#include "mgw/dp/rtcp_packet.h"

namespace mgw::dp {

// Common part of RTPFB and PSFB packets.
class FeedbackView {
 public:
  explicit FeedbackView(RtcpPacketView packet) : packet_(packet) {}

  uint8_t fmt() const { return packet_.count(); }
  uint32_t sender_ssrc() const { return LoadBe32(packet_.bytes().data() + 4); }
  uint32_t media_ssrc() const { return LoadBe32(packet_.bytes().data() + 8); }
  std::span<const uint8_t> fci() const {
    return packet_.bytes().subspan(rtcp::kFeedbackHeaderSize,
                                   packet_.unpadded_size() - rtcp::kFeedbackHeaderSize);
  }

  static bool IsNack(RtcpPacketView p) {
    return p.type() == rtcp::kTransportFeedback && p.count() == rtcp::kFmtNack;
  }
  static bool IsPli(RtcpPacketView p) {
    return p.type() == rtcp::kPayloadFeedback && p.count() == rtcp::kFmtPli;
  }
  static bool IsFir(RtcpPacketView p) {
    return p.type() == rtcp::kPayloadFeedback && p.count() == rtcp::kFmtFir;
  }

 protected:
  RtcpPacketView packet_;
};

struct NackItem {
  uint16_t packet_id = 0;     // PID: first lost sequence number
  uint16_t lost_bitmask = 0;  // BLP: bit i set means PID + i + 1 is lost too
};

class NackView : public FeedbackView {
 public:
  using FeedbackView::FeedbackView;

  size_t item_count() const { return fci().size() / 4; }
  NackItem item(size_t i) const {
    const uint8_t* p = fci().data() + 4 * i;
    return NackItem{LoadBe16(p), LoadBe16(p + 2)};
  }

  // Calls fn(seq) for every sequence number the NACK reports lost, in wire order.
  template <typename Fn>
  void ForEachLost(Fn&& fn) const {
    for (size_t i = 0; i < item_count(); ++i) {
      const NackItem it = item(i);
      fn(it.packet_id);
      for (int bit = 0; bit < 16; ++bit) {
        if ((it.lost_bitmask >> bit) & 1) fn(static_cast<uint16_t>(it.packet_id + bit + 1));
      }
    }
  }
};

struct FirEntry {
  uint32_t ssrc = 0;   // media sender asked for a keyframe
  uint8_t seq_nr = 0;  // command sequence number; a repeat with the same number is a retransmit
};

class FirView : public FeedbackView {
 public:
  using FeedbackView::FeedbackView;

  size_t entry_count() const { return fci().size() / 8; }
  FirEntry entry(size_t i) const {
    const uint8_t* p = fci().data() + 8 * i;
    return FirEntry{LoadBe32(p), p[4]};
  }
};

}  // namespace mgw::dp
