#include "mgw/rec/opus_depacketizer.h"

namespace mgw::rec {

void OpusDepacketizer::Push(const OrderedPacket& packet) {
  if (packet.payload.empty()) {  // RFC 7587 section 4.2: a payload always has a TOC byte
    ++stats_.malformed;
    return;
  }
  EncodedFrame frame;
  frame.ssrc = packet.ssrc;
  frame.extended_timestamp = packet.extended_timestamp;
  frame.arrival = packet.arrival;
  frame.keyframe = true;
  frame.data = packet.payload;
  ++stats_.frames;
  ++stats_.keyframes;
  listener_.OnFrame(frame);
}

}  // namespace mgw::rec
