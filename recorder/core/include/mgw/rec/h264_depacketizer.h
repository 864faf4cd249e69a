#pragma once

// RFC 6184 H.264 (packetization-mode 0 and 1): single NAL unit packets, STAP-A aggregates and FU-A
// fragments are collected into one access unit per RTP timestamp, complete at the marker bit (or
// at a timestamp change with no loss in between). SPS and PPS are remembered so keyframes carry
// the AVCDecoderConfigurationRecord the container needs; frames are written with 4-byte length
// prefixes (AVCC, what Matroska and MP4 store) or start codes (Annex B, for raw .h264 files).
// STAP-B, MTAP and FU-B (interleaved mode) are not supported and count as malformed.

#include <cstdint>
#include <span>
#include <vector>

#include "mgw/rec/video_depacketizer.h"

namespace mgw::rec {

namespace h264 {
inline constexpr uint8_t kIdr = 5;
inline constexpr uint8_t kSps = 7;
inline constexpr uint8_t kPps = 8;
inline constexpr uint8_t kStapA = 24;
inline constexpr uint8_t kFuA = 28;
}  // namespace h264

// ISO/IEC 14496-15 section 5.3.3.1 record with one SPS and one PPS, 4-byte NAL lengths.
std::vector<uint8_t> BuildAvcDecoderConfiguration(std::span<const uint8_t> sps,
                                                  std::span<const uint8_t> pps);

class H264Depacketizer final : public VideoDepacketizer {
 public:
  enum class Output : uint8_t { kAvcc, kAnnexB };

  H264Depacketizer(Listener& listener, Output output)
      : VideoDepacketizer(listener), output_(output) {}
  void Push(const OrderedPacket& packet) override;
  void Finish() override;

 private:
  bool AddNal(std::span<const uint8_t> nal);
  void Complete();
  void Discard() override;
  void Broken();

  Output output_;
  bool broken_ = false;  // the access unit being assembled lost something
  bool has_idr_ = false;
  bool in_fragment_ = false;
  std::vector<uint8_t> fragment_;
  std::vector<uint8_t> sps_;
  std::vector<uint8_t> pps_;
  std::vector<uint8_t> extradata_;
};

}  // namespace mgw::rec
