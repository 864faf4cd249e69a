#pragma once

// Builds and checks Ethernet/IPv4/UDP and ARP frames for the dpdk tests, independently of the
// backend's own checksum code where it matters (ReferenceUdpChecksum).

#include <netinet/in.h>
#include <rte_arp.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "dpdk/udp_frame.h"

namespace mgw::io::testing {

inline uint16_t Load16(const uint8_t* bytes) {
  return static_cast<uint16_t>(bytes[0] << 8 | bytes[1]);
}

// RFC 768/1071, computed word by word in network order.
inline uint16_t ReferenceUdpChecksum(const std::vector<uint8_t>& frame) {
  const uint8_t* ip = frame.data() + kEthernetHeaderSize;
  const uint32_t header_length = (ip[0] & 0x0f) * 4u;
  const uint8_t* udp = ip + header_length;
  const uint32_t udp_length = Load16(udp + 4);
  uint32_t sum = 0;
  for (int i = 12; i < 20; i += 2) sum += Load16(ip + i);  // addresses
  sum += IPPROTO_UDP;
  sum += udp_length;
  for (uint32_t i = 0; i < udp_length; i += 2) {
    const uint16_t high = i == 6 ? 0 : udp[i];
    const uint16_t low = i == 6 || i + 1 >= udp_length ? 0 : udp[i + 1];
    sum += static_cast<uint32_t>(high << 8 | low);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t checksum = static_cast<uint16_t>(~sum);
  return checksum == 0 ? 0xffff : checksum;
}

inline bool Ipv4HeaderChecksumValid(const std::vector<uint8_t>& frame) {
  const uint8_t* ip = frame.data() + kEthernetHeaderSize;
  uint32_t sum = 0;
  for (uint32_t i = 0; i < (ip[0] & 0x0fu) * 4; i += 2) sum += Load16(ip + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

struct UdpFrameSpec {
  MacAddress source_mac{0x02, 0, 0, 0, 0, 0x01};
  MacAddress destination_mac{0x02, 0, 0, 0, 0, 0x02};
  uint32_t source_ip = 0xC6120001;  // 198.18.0.1
  uint32_t destination_ip = 0xC6120002;
  uint16_t source_port = 40000;
  uint16_t destination_port = 5004;
  uint16_t ip_id = 1;
};

// A valid frame with both checksums filled in.
inline std::vector<uint8_t> UdpFrame(const UdpFrameSpec& spec,
                                     const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> frame(kUdpFrameHeadersSize + payload.size());
  UdpFrameHeaders headers;
  headers.source_mac = spec.source_mac;
  headers.destination_mac = spec.destination_mac;
  headers.source_ip = spec.source_ip;
  headers.destination_ip = spec.destination_ip;
  headers.source_port = spec.source_port;
  headers.destination_port = spec.destination_port;
  headers.ip_id = spec.ip_id;
  headers.payload_length = static_cast<uint16_t>(payload.size());
  WriteUdpFrameHeaders(frame.data(), headers);
  if (!payload.empty())
    std::memcpy(frame.data() + kUdpFrameHeadersSize, payload.data(), payload.size());
  uint8_t* ip = frame.data() + kEthernetHeaderSize;
  const uint16_t ip_checksum = Ipv4HeaderChecksum(ip);
  std::memcpy(ip + 10, &ip_checksum, 2);
  const uint16_t udp_checksum = ReferenceUdpChecksum(frame);
  ip[kIpv4HeaderSize + 6] = static_cast<uint8_t>(udp_checksum >> 8);
  ip[kIpv4HeaderSize + 7] = static_cast<uint8_t>(udp_checksum);
  return frame;
}

inline std::vector<uint8_t> ArpFrame(uint16_t operation, const MacAddress& sender_mac,
                                     uint32_t sender_ip, uint32_t target_ip,
                                     const MacAddress& target_mac = {}) {
  std::vector<uint8_t> frame(kArpFrameSize);
  const MacAddress destination =
      operation == RTE_ARP_OP_REQUEST ? MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} : target_mac;
  WriteArpFrame(frame.data(), operation, sender_mac, destination, sender_mac, sender_ip, target_mac,
                target_ip);
  return frame;
}

}  // namespace mgw::io::testing
