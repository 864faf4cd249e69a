#include "load_packet.h"

#include <time.h>

#include <cstring>

namespace mgw::bench {
namespace {

void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void StoreBe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// Extension layout after the fixed header: 0xBEDE, length 3 words, then
// [id 1, len 8][8-byte send time][id 2, len 1][trial][2 bytes padding].
constexpr size_t kStampOffset = 12 + 4 + 1;
constexpr size_t kTrialOffset = kStampOffset + 8 + 1;

}  // namespace

void WriteLoadPacket(uint8_t* out, size_t size, uint32_t ssrc) {
  std::memset(out, 0x5A, size);
  out[0] = 0x90;  // V=2, X=1
  out[1] = 96;
  StoreBe16(out + 2, 0);
  StoreBe32(out + 4, 0);
  StoreBe32(out + 8, ssrc);
  StoreBe16(out + 12, 0xBEDE);
  StoreBe16(out + 14, 3);
  out[16] = 0x17;  // id 1, 8 bytes
  std::memset(out + kStampOffset, 0, 8);
  out[25] = 0x20;  // id 2, 1 byte
  out[kTrialOffset] = 0;
  out[27] = 0;
  out[28] = 0;
  out[kLoadHeaderSize] = 0x10;      // VP8 descriptor: S=1, partition 0
  out[kLoadHeaderSize + 1] = 0x00;  // VP8 payload header: P=0, keyframe
}

void StampLoadPacket(uint8_t* packet, uint16_t seq, uint32_t rtp_timestamp, uint64_t send_ns,
                     uint8_t trial) {
  StoreBe16(packet + 2, seq);
  StoreBe32(packet + 4, rtp_timestamp);
  std::memcpy(packet + kStampOffset, &send_ns, 8);
  packet[kTrialOffset] = trial;
}

std::optional<LoadStamp> ReadLoadStamp(const uint8_t* packet, size_t size) {
  if (size < kLoadHeaderSize || (packet[0] & 0xD0) != 0x90 || packet[12] != 0xBE ||
      packet[13] != 0xDE || packet[16] != 0x17 || packet[25] != 0x20) {
    return std::nullopt;
  }
  LoadStamp stamp;
  std::memcpy(&stamp.send_ns, packet + kStampOffset, 8);
  stamp.trial = packet[kTrialOffset];
  return stamp;
}

uint64_t MonotonicNanos() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace mgw::bench
