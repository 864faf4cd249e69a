#pragma once

// Byte fixtures for recorder tests: RTP packets and RTCP sender reports built field by field.

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <vector>

namespace mgw::rec::testing {

struct RtpFields {
  uint32_t ssrc = 0x11223344;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint8_t payload_type = 96;
  bool marker = false;
};

// Written into a presized buffer: GCC 12 reports a false -Warray-bounds on a vector insert here
// once it is inlined into a caller.
inline std::vector<uint8_t> Rtp(const RtpFields& f, std::span<const uint8_t> payload) {
  std::vector<uint8_t> p(12 + payload.size());
  p[0] = 0x80;
  p[1] = static_cast<uint8_t>((f.marker ? 0x80 : 0) | f.payload_type);
  p[2] = static_cast<uint8_t>(f.seq >> 8);
  p[3] = static_cast<uint8_t>(f.seq);
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = static_cast<uint8_t>(f.timestamp >> (24 - 8 * i));
    p[8 + i] = static_cast<uint8_t>(f.ssrc >> (24 - 8 * i));
  }
  if (!payload.empty()) std::memcpy(p.data() + 12, payload.data(), payload.size());
  return p;
}

inline std::vector<uint8_t> Rtp(const RtpFields& f, std::initializer_list<uint8_t> payload) {
  return Rtp(f, std::span<const uint8_t>(payload.begin(), payload.size()));
}

// An RTCP SR with no report blocks (RFC 3550 section 6.4.1).
inline std::vector<uint8_t> SenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtp_timestamp) {
  std::vector<uint8_t> p(28);
  p[0] = 0x80;
  p[1] = 200;
  p[2] = 0;
  p[3] = 6;  // length in words minus one
  auto put32 = [&](size_t at, uint32_t v) {
    p[at] = static_cast<uint8_t>(v >> 24);
    p[at + 1] = static_cast<uint8_t>(v >> 16);
    p[at + 2] = static_cast<uint8_t>(v >> 8);
    p[at + 3] = static_cast<uint8_t>(v);
  };
  put32(4, ssrc);
  put32(8, static_cast<uint32_t>(ntp >> 32));
  put32(12, static_cast<uint32_t>(ntp));
  put32(16, rtp_timestamp);
  put32(20, 0);
  put32(24, 0);
  return p;
}

}  // namespace mgw::rec::testing
