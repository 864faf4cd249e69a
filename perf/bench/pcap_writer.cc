#include "pcap_writer.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "load_packet.h"

namespace mgw::bench {
namespace {

void Be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Be32(uint8_t* p, uint32_t v) {
  Be16(p, static_cast<uint16_t>(v >> 16));
  Be16(p + 2, static_cast<uint16_t>(v));
}

uint16_t Ipv4Checksum(const uint8_t* header) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (uint32_t{header[i]} << 8) | header[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

void WritePublisherFrame(uint8_t* out, size_t packet_size, uint32_t p) {
  uint8_t* eth = out;
  const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02};
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(eth, dst, 6);
  std::memcpy(eth + 6, src, 6);
  Be16(eth + 12, 0x0800);
  uint8_t* ip = eth + 14;
  std::memset(ip, 0, 20);
  ip[0] = 0x45;
  Be16(ip + 2, static_cast<uint16_t>(20 + 8 + packet_size));
  ip[8] = 64;
  ip[9] = 17;
  Be32(ip + 12, 0xC6120100u + 1 + p % 250);  // 198.18.1.x, as programmed
  Be32(ip + 16, 0xC6120002u);                // 198.18.0.2
  Be16(ip + 10, Ipv4Checksum(ip));
  uint8_t* udp = ip + 20;
  Be16(udp, static_cast<uint16_t>(5000 + p / 250));
  Be16(udp + 2, 40000);
  Be16(udp + 4, static_cast<uint16_t>(8 + packet_size));
  Be16(udp + 6, 0);  // no checksum (allowed for IPv4)
  WriteLoadPacket(udp + 8, packet_size, Topology::PublisherSsrc(p));
  StampLoadPacket(udp + 8, 1, 0, 0, 1);
}

void WritePublisherPcap(const std::string& path, const Topology& topology, size_t packet_size,
                        uint32_t first, uint32_t step, size_t frames) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw std::runtime_error("cannot write " + path);
  const uint32_t global[6] = {0xA1B2C3D4, 0x00040002, 0, 0, 65535, 1};  // LE magic, v2.4, Ethernet
  std::fwrite(global, sizeof global, 1, file);
  std::vector<uint8_t> frame(kFrameHeadersSize + packet_size);
  std::vector<uint16_t> seq(topology.publishers, 0);
  uint32_t p = first;
  for (size_t i = 0; i < frames; ++i) {
    WritePublisherFrame(frame.data(), packet_size, p);
    // One sequence number per publisher: net_pcap replays the file in a loop, and LegRewriter
    // drops as stale any number "older" than the one its leg started on (perf/README.md,
    // "Findings"), so a cycling sequence would lose about half the packets to that check.
    StampLoadPacket(frame.data() + kFrameHeadersSize, 1, 3000u * seq[p]++, 0, 1);
    const uint32_t record[4] = {0, static_cast<uint32_t>(i), static_cast<uint32_t>(frame.size()),
                                static_cast<uint32_t>(frame.size())};
    std::fwrite(record, sizeof record, 1, file);
    std::fwrite(frame.data(), frame.size(), 1, file);
    p += step;
    if (p >= topology.publishers) p = first;
  }
  std::fclose(file);
}

}  // namespace mgw::bench
