#pragma once

// RFC 7741 VP8: strips the payload descriptor (X, S, PID; PictureID, TL0PICIDX, TID/KEYIDX
// extensions) and assembles a frame from the packet with S=1 and PID=0 up to the marker bit (or
// up to a timestamp change with no loss in between). The frame's first byte tells keyframes
// (P bit clear), whose header also carries the picture size.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mgw/rec/video_depacketizer.h"

namespace mgw::rec {

struct Vp8Descriptor {
  bool start_of_partition = false;  // S
  uint8_t partition_id = 0;         // PID
  size_t size = 0;                  // bytes before the VP8 payload
};

// Never throws; nullopt when the descriptor runs past the payload.
std::optional<Vp8Descriptor> ParseVp8Descriptor(std::span<const uint8_t> payload);

class Vp8Depacketizer final : public VideoDepacketizer {
 public:
  explicit Vp8Depacketizer(Listener& listener) : VideoDepacketizer(listener) {}
  void Push(const OrderedPacket& packet) override;
  void Finish() override;

 private:
  void Complete();
};

}  // namespace mgw::rec
