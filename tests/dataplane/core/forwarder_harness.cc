#include "forwarder_harness.h"

#include <algorithm>

#include "mgw/dp/rtp_packet.h"

namespace mgw::dp::test {

Bytes MakeRtp(const RtpSpec& spec) {
  Bytes b(12 + spec.payload.size());
  b[0] = 0x80;
  b[1] = static_cast<uint8_t>((spec.marker ? 0x80 : 0) | spec.pt);
  StoreBe16(&b[2], spec.seq);
  StoreBe32(&b[4], spec.ts);
  StoreBe32(&b[8], spec.ssrc);
  std::copy(spec.payload.begin(), spec.payload.end(), b.begin() + 12);
  return b;
}

Bytes Vp8Keyframe(uint8_t fill) { return {0x90, 0x80, 0x05, 0x9C, 0x01, 0x2A, fill, fill}; }
Bytes Vp8Delta(uint8_t fill) { return {0x90, 0x80, 0x06, 0x9D, 0x01, 0x2A, fill, fill}; }
Bytes H264StapASpsPps() { return {0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xCE}; }
Bytes H264FuAIdrStart() { return {0x7C, 0x85, 0x88, 0x84, 0x21}; }
Bytes H264FuAIdrMiddle() { return {0x7C, 0x05, 0x11, 0x22, 0x33}; }
Bytes H264NonIdr() { return {0x41, 0x9A, 0x02, 0x03}; }

ParticipantConfig AudioOnly(ParticipantId id, MeetingId meeting) {
  ParticipantConfig c;
  c.id = id;
  c.meeting = meeting;
  c.audio.payload_type = kOpusPt;
  c.audio.clock_rate = 48000;
  c.audio.encodings[0].ssrc = AudioSsrc(id);
  c.audio.encoding_count = 1;
  return c;
}

ParticipantConfig ReceiveOnly(ParticipantId id, MeetingId meeting) {
  ParticipantConfig c;
  c.id = id;
  c.meeting = meeting;
  return c;
}

ParticipantConfig WithVideo(ParticipantId id, VideoCodec codec, MeetingId meeting) {
  ParticipantConfig c = AudioOnly(id, meeting);
  c.video.codec = codec;
  c.video.payload_type = kVideoPt;
  c.video.rtx_payload_type = kRtxPt;
  c.video.clock_rate = 90000;
  c.video.encodings[0] = EncodingConfig{VideoSsrc(id), RtxSsrc(id), 1'000'000};
  c.video.encoding_count = 1;
  return c;
}

ParticipantConfig WithSimulcast(ParticipantId id, VideoCodec codec, MeetingId meeting) {
  ParticipantConfig c = WithVideo(id, codec, meeting);
  const uint32_t bitrates[] = {150'000, 500'000, 1'500'000};
  for (int i = 0; i < 3; ++i) {
    c.video.encodings[i] = EncodingConfig{VideoSsrc(id, i), RtxSsrc(id, i), bitrates[i]};
  }
  c.video.encoding_count = 3;
  return c;
}

ForwarderConfig TestConfig() {
  ForwarderConfig c;
  c.max_participants = 256;
  c.max_streams = 512;
  c.max_ssrcs = 4096;
  c.max_legs = 8192;
  c.video_cache = PacketCacheConfig{64, 1'000'000, 1500};
  return c;
}

Harness::Harness(const ForwarderConfig& config)
    : fwd(config), slots_(4096), arena_(4 << 20), batch_(slots_, arena_) {}

DropReason Harness::Send(const Bytes& datagram, const Endpoint& from) {
  batch_.Clear();
  ingress_.clear();
  ingress_.push_back(datagram);
  const DropReason r = fwd.Process(IngressPacket{ingress_.back(), from}, now_us, batch_, 0);
  Collect();
  return r;
}

void Harness::SendBurst(const std::vector<std::pair<Bytes, Endpoint>>& datagrams) {
  batch_.Clear();
  ingress_.clear();
  std::vector<IngressPacket> burst;
  for (const auto& [bytes, from] : datagrams) {
    ingress_.push_back(bytes);
    burst.push_back(IngressPacket{ingress_.back(), from});
  }
  fwd.ProcessBurst(burst, now_us, batch_);
  Collect();
}

void Harness::Poll() {
  batch_.Clear();
  fwd.Poll(now_us, batch_);
  Collect();
}

void Harness::Collect() {
  sent_.clear();
  for (const OutputPacket& o : batch_.packets()) {
    Sent s;
    s.destination = o.destination;
    s.wire.assign(o.head.begin(), o.head.end());
    s.wire.insert(s.wire.end(), o.tail.begin(), o.tail.end());
    s.rtcp = o.rtcp;
    s.input = o.input;
    if (!o.tail.empty()) {
      const Bytes& in = ingress_.at(o.input);
      s.zero_copy =
          o.tail.data() >= in.data() && o.tail.data() + o.tail.size() <= in.data() + in.size();
    }
    sent_.push_back(std::move(s));
  }
}

std::vector<Sent> Harness::SentTo(const Endpoint& to) const {
  std::vector<Sent> out;
  std::copy_if(sent_.begin(), sent_.end(), std::back_inserter(out),
               [&](const Sent& s) { return s.destination == to; });
  return out;
}

std::vector<Bytes> Harness::RtcpTo(const Endpoint& to, uint8_t type, int fmt) const {
  std::vector<Bytes> out;
  for (const Sent& s : SentTo(to)) {
    if (!s.rtcp) continue;
    const auto compound = RtcpCompound::Parse(s.wire);
    if (!compound) continue;
    for (const RtcpPacketView p : *compound) {
      if (p.type() == type && (fmt < 0 || p.count() == fmt)) {
        out.emplace_back(p.bytes().begin(), p.bytes().end());
      }
    }
  }
  return out;
}

std::optional<RtpFields> ReadRtp(const Bytes& wire) {
  Bytes copy = wire;
  const auto p = RtpPacket::Parse(copy);
  if (!p) return std::nullopt;
  return RtpFields{p->ssrc(),      p->sequence_number(),
                   p->timestamp(), p->payload_type(),
                   p->marker(),    Bytes(p->payload().begin(), p->payload().end())};
}

}  // namespace mgw::dp::test
