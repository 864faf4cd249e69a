#include "bench_packets.h"

#include <array>
#include <span>

#include "mgw/dp/byte_order.h"
#include "mgw/dp/rtcp_builder.h"
#include "mgw/dp/rtcp_report.h"

namespace mgw::bench {

Bytes MakeVp8Rtp(uint32_t ssrc, uint16_t seq, uint32_t timestamp, size_t size) {
  Bytes packet(size < 16 ? 16 : size, 0x5A);
  packet[0] = 0x80;
  packet[1] = kVideoPayloadType;
  dp::StoreBe16(packet.data() + 2, seq);
  dp::StoreBe32(packet.data() + 4, timestamp);
  dp::StoreBe32(packet.data() + 8, ssrc);
  packet[12] = 0x10;  // VP8 descriptor: S=1, partition 0
  packet[13] = 0x00;  // VP8 payload header: P=0, a keyframe
  return packet;
}

Bytes MakeRtcpCompound(uint32_t sender_ssrc, uint32_t media_ssrc) {
  Bytes out(256);
  std::span<uint8_t> rest(out);
  dp::SenderInfo info{0x12345678, 0x9ABCDEF0, 90000, 1000, 1200000};
  std::array<dp::ReportBlock, 1> blocks{};
  blocks[0].ssrc = media_ssrc;
  blocks[0].extended_highest_seq = 1000;
  size_t n = dp::BuildSenderReport(rest, sender_ssrc, info, blocks);
  rest = rest.subspan(n);
  size_t m = dp::BuildPli(rest, sender_ssrc, media_ssrc);
  rest = rest.subspan(m);
  std::array<uint16_t, 3> lost{100, 101, 105};
  size_t k = dp::BuildNack(rest, sender_ssrc, media_ssrc, lost);
  out.resize(n + m + k);
  return out;
}

dp::Endpoint BenchAddress(uint32_t host) {
  return dp::Endpoint::FromIpv4(0xC6120000u | (host & 0xFFFF), 5000);
}

dp::ParticipantConfig VideoPublisher(dp::ParticipantId id, uint32_t ssrc) {
  dp::ParticipantConfig config;
  config.id = id;
  config.meeting = 1;
  config.receives_audio = false;
  config.video.codec = dp::VideoCodec::kVp8;
  config.video.payload_type = kVideoPayloadType;
  config.video.clock_rate = 90000;
  config.video.encodings[0] = {ssrc, 0, 1'000'000};
  config.video.encoding_count = 1;
  return config;
}

dp::ParticipantConfig Receiver(dp::ParticipantId id) {
  dp::ParticipantConfig config;
  config.id = id;
  config.meeting = 1;
  config.receives_audio = false;
  return config;
}

}  // namespace mgw::bench
