#pragma once

// RFC 7587: one RTP payload is exactly one Opus packet, so every packet is a frame and every
// frame can start decoding (a loss only costs that frame; the decoder conceals it).

#include "mgw/rec/depacketizer.h"

namespace mgw::rec {

class OpusDepacketizer final : public Depacketizer {
 public:
  explicit OpusDepacketizer(Listener& listener) : listener_(listener) {}
  void Push(const OrderedPacket& packet) override;
  void OnLoss() override {}

 private:
  Listener& listener_;
};

}  // namespace mgw::rec
