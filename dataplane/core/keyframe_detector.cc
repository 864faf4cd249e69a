#include "mgw/dp/keyframe_detector.h"

#include <cstddef>

#include "mgw/dp/byte_order.h"

namespace mgw::dp {
namespace {

constexpr uint8_t kNalIdr = 5;
constexpr uint8_t kNalSps = 7;
constexpr uint8_t kNalStapA = 24;
constexpr uint8_t kNalFuA = 28;

bool IsKeyNal(uint8_t nal_header) {
  const uint8_t type = nal_header & 0x1F;
  return type == kNalIdr || type == kNalSps;
}

}  // namespace

bool IsVp8KeyframeStart(std::span<const uint8_t> payload) {
  if (payload.empty()) return false;
  const uint8_t first = payload[0];
  const bool start_of_partition = (first & 0x10) != 0;
  const uint8_t partition_id = first & 0x07;
  if (!start_of_partition || partition_id != 0) return false;

  size_t offset = 1;
  if ((first & 0x80) != 0) {  // X: extended control bits present
    if (payload.size() < 2) return false;
    const uint8_t ext = payload[1];
    offset = 2;
    if ((ext & 0x80) != 0) {  // I: PictureID, 7 or 15 bits (M flag)
      if (payload.size() <= offset) return false;
      offset += (payload[offset] & 0x80) ? 2 : 1;
    }
    if ((ext & 0x40) != 0) offset += 1;  // L: TL0PICIDX
    if ((ext & 0x30) != 0) offset += 1;  // T or K: TID/Y/KEYIDX byte
  }
  if (payload.size() <= offset) return false;
  return (payload[offset] & 0x01) == 0;  // P bit clear: key frame
}

bool IsH264KeyframeStart(std::span<const uint8_t> payload) {
  if (payload.empty()) return false;
  const uint8_t type = payload[0] & 0x1F;
  if (type >= 1 && type <= 23) return IsKeyNal(payload[0]);
  if (type == kNalStapA) {
    // After the STAP-A header: repeated 16-bit NAL size, NAL unit.
    size_t offset = 1;
    while (offset + 2 < payload.size()) {
      const size_t nal_size = LoadBe16(payload.data() + offset);
      offset += 2;
      if (nal_size == 0 || offset + nal_size > payload.size()) return false;
      if (IsKeyNal(payload[offset])) return true;
      offset += nal_size;
    }
    return false;
  }
  if (type == kNalFuA) {
    if (payload.size() < 2) return false;
    const uint8_t fu_header = payload[1];
    return (fu_header & 0x80) != 0 && (fu_header & 0x1F) == kNalIdr;
  }
  return false;
}

}  // namespace mgw::dp
