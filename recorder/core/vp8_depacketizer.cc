#include "mgw/rec/vp8_depacketizer.h"

namespace mgw::rec {

std::optional<Vp8Descriptor> ParseVp8Descriptor(std::span<const uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  Vp8Descriptor d;
  const uint8_t b0 = payload[0];
  d.start_of_partition = (b0 & 0x10) != 0;
  d.partition_id = b0 & 0x07;
  size_t offset = 1;
  if ((b0 & 0x80) != 0) {  // X: extension byte
    if (payload.size() < 2) return std::nullopt;
    const uint8_t x = payload[1];
    offset = 2;
    if ((x & 0x80) != 0) {  // I: PictureID, 7 or 15 bits (M bit)
      if (payload.size() < offset + 1) return std::nullopt;
      offset += (payload[offset] & 0x80) != 0 ? 2 : 1;
    }
    if ((x & 0x40) != 0) offset += 1;  // L: TL0PICIDX
    if ((x & 0x30) != 0) offset += 1;  // T or K: TID/Y/KEYIDX
  }
  if (offset >= payload.size()) return std::nullopt;  // no VP8 payload after the descriptor
  d.size = offset;
  return d;
}

void Vp8Depacketizer::Push(const OrderedPacket& packet) {
  const auto descriptor = ParseVp8Descriptor(packet.payload);
  if (!descriptor) {
    ++stats_.malformed;
    OnLoss();
    return;
  }
  if (assembling_ && packet.extended_timestamp != frame_.extended_timestamp) {
    Complete();  // no loss in between, so the previous frame had all its packets
  }
  if (!assembling_) {
    if (!descriptor->start_of_partition || descriptor->partition_id != 0) {
      // The start of this frame was lost or reordered away: nothing here can be decoded.
      ++stats_.malformed;
      NeedKeyframe();
      return;
    }
    assembling_ = true;
    buffer_.clear();
    frame_ = EncodedFrame{};
    frame_.ssrc = packet.ssrc;
    frame_.extended_timestamp = packet.extended_timestamp;
    frame_.arrival = packet.arrival;
  }
  auto body = packet.payload.subspan(descriptor->size);
  buffer_.insert(buffer_.end(), body.begin(), body.end());
  if (packet.marker) Complete();
}

void Vp8Depacketizer::Complete() {
  assembling_ = false;
  if (buffer_.size() < 3) {
    ++stats_.malformed;
    ++stats_.frames_dropped;
    NeedKeyframe();
    return;
  }
  // RFC 6386 section 9.1: frame tag bit 0 is 0 for keyframes, followed by the start code
  // 9d 01 2a and two 14-bit sizes.
  const bool keyframe = (buffer_[0] & 0x01) == 0;
  if (keyframe) {
    if (buffer_.size() < 10 || buffer_[3] != 0x9d || buffer_[4] != 0x01 || buffer_[5] != 0x2a) {
      ++stats_.malformed;
      ++stats_.frames_dropped;
      NeedKeyframe();
      return;
    }
    frame_.width = (buffer_[6] | (buffer_[7] << 8)) & 0x3FFF;
    frame_.height = (buffer_[8] | (buffer_[9] << 8)) & 0x3FFF;
  }
  Emit(keyframe);
}

void Vp8Depacketizer::Finish() {
  // Without a marker the last frame may be missing its tail; it is not written.
  Discard();
}

}  // namespace mgw::rec
