#include "dpdk/udp_frame.h"

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

namespace mgw::io {
namespace {

FrameVerdict Drop(DropReason reason) {
  FrameVerdict verdict;
  verdict.kind = FrameVerdict::Kind::kDrop;
  verdict.reason = reason;
  return verdict;
}

uint16_t Load16(const uint8_t* bytes) {
  uint16_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return rte_be_to_cpu_16(value);
}

uint32_t Load32(const uint8_t* bytes) {
  uint32_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return rte_be_to_cpu_32(value);
}

FrameVerdict ParseArp(const uint8_t* arp, uint32_t length) {
  if (length < sizeof(rte_arp_hdr)) return Drop(DropReason::kRxMalformed);
  rte_arp_hdr header;
  std::memcpy(&header, arp, sizeof(header));
  if (rte_be_to_cpu_16(header.arp_hardware) != RTE_ARP_HRD_ETHER ||
      rte_be_to_cpu_16(header.arp_protocol) != RTE_ETHER_TYPE_IPV4 || header.arp_hlen != 6 ||
      header.arp_plen != 4) {
    return Drop(DropReason::kRxNotIpv4Udp);
  }
  FrameVerdict verdict;
  verdict.kind = FrameVerdict::Kind::kArp;
  verdict.arp.operation = rte_be_to_cpu_16(header.arp_opcode);
  std::memcpy(verdict.arp.sender_mac.data(), header.arp_data.arp_sha.addr_bytes, 6);
  verdict.arp.sender_ip = rte_be_to_cpu_32(header.arp_data.arp_sip);
  verdict.arp.target_ip = rte_be_to_cpu_32(header.arp_data.arp_tip);
  return verdict;
}

}  // namespace

FrameVerdict ParseFrame(const uint8_t* frame, uint32_t length, uint32_t local_ip,
                        uint16_t local_port, bool ip_checksum_checked) {
  if (length < kEthernetHeaderSize) return Drop(DropReason::kRxMalformed);
  const uint16_t ether_type = Load16(frame + 12);
  if (ether_type == RTE_ETHER_TYPE_ARP) {
    return ParseArp(frame + kEthernetHeaderSize, length - kEthernetHeaderSize);
  }
  if (ether_type != RTE_ETHER_TYPE_IPV4) return Drop(DropReason::kRxNotIpv4Udp);

  const uint8_t* ip = frame + kEthernetHeaderSize;
  const uint32_t ip_room = length - kEthernetHeaderSize;
  if (ip_room < kIpv4HeaderSize || (ip[0] >> 4) != 4) return Drop(DropReason::kRxMalformed);
  const uint32_t header_length = (ip[0] & 0x0f) * 4u;
  const uint32_t total_length = Load16(ip + 2);
  // total_length, not the frame length: short frames carry Ethernet padding.
  if (header_length < kIpv4HeaderSize || total_length < header_length + kUdpHeaderSize ||
      total_length > ip_room) {
    return Drop(DropReason::kRxMalformed);
  }
  if (!ip_checksum_checked && RawSum(ip, header_length) != 0xffff) {
    return Drop(DropReason::kRxBadChecksum);
  }
  if ((Load16(ip + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
    return Drop(DropReason::kRxFragment);
  }
  if (ip[9] != IPPROTO_UDP) return Drop(DropReason::kRxNotIpv4Udp);

  const uint8_t* udp = ip + header_length;
  FrameVerdict verdict;
  verdict.kind = FrameVerdict::Kind::kUdp;
  verdict.udp.source_ip = Load32(ip + 12);
  verdict.udp.destination_ip = Load32(ip + 16);
  verdict.udp.source_port = Load16(udp);
  verdict.udp.destination_port = Load16(udp + 2);
  const uint32_t udp_length = Load16(udp + 4);
  if (udp_length < kUdpHeaderSize || udp_length > total_length - header_length) {
    return Drop(DropReason::kRxMalformed);
  }
  if (verdict.udp.destination_ip != local_ip || verdict.udp.destination_port != local_port) {
    return Drop(DropReason::kRxNotForUs);
  }
  verdict.udp.payload_offset = kEthernetHeaderSize + header_length + kUdpHeaderSize;
  verdict.udp.payload_length = udp_length - kUdpHeaderSize;
  return verdict;
}

void WriteUdpFrameHeaders(uint8_t* frame, const UdpFrameHeaders& headers) {
  rte_ether_hdr ethernet;
  std::memcpy(ethernet.dst_addr.addr_bytes, headers.destination_mac.data(), 6);
  std::memcpy(ethernet.src_addr.addr_bytes, headers.source_mac.data(), 6);
  ethernet.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  std::memcpy(frame, &ethernet, kEthernetHeaderSize);

  const uint16_t udp_length = static_cast<uint16_t>(kUdpHeaderSize + headers.payload_length);
  rte_ipv4_hdr ip{};
  ip.version_ihl = RTE_IPV4_VHL_DEF;
  ip.total_length = rte_cpu_to_be_16(static_cast<uint16_t>(kIpv4HeaderSize + udp_length));
  ip.packet_id = rte_cpu_to_be_16(headers.ip_id);
  ip.fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
  ip.time_to_live = 64;
  ip.next_proto_id = IPPROTO_UDP;
  ip.src_addr = rte_cpu_to_be_32(headers.source_ip);
  ip.dst_addr = rte_cpu_to_be_32(headers.destination_ip);
  std::memcpy(frame + kEthernetHeaderSize, &ip, kIpv4HeaderSize);

  rte_udp_hdr udp;
  udp.src_port = rte_cpu_to_be_16(headers.source_port);
  udp.dst_port = rte_cpu_to_be_16(headers.destination_port);
  udp.dgram_len = rte_cpu_to_be_16(udp_length);
  udp.dgram_cksum = 0;
  std::memcpy(frame + kEthernetHeaderSize + kIpv4HeaderSize, &udp, kUdpHeaderSize);
}

uint16_t RawSum(const uint8_t* bytes, uint32_t length) { return rte_raw_cksum(bytes, length); }

uint16_t Ipv4HeaderChecksum(const uint8_t* ip) {
  const uint16_t sum = rte_raw_cksum(ip, size_t{ip[0] & 0x0fu} * 4);
  return static_cast<uint16_t>(~sum);
}

uint16_t Ipv4PseudoHeaderSum(const uint8_t* ip) {
  rte_ipv4_hdr header;
  std::memcpy(&header, ip, sizeof(header));
  return rte_ipv4_phdr_cksum(&header, 0);
}

uint16_t CombineUdpChecksum(uint16_t pseudo_header_sum, uint16_t prefix_sum, uint32_t prefix_length,
                            uint16_t payload_sum) {
  // A payload that starts at an odd offset has its bytes in swapped 16-bit lanes.
  if ((prefix_length & 1) != 0) payload_sum = rte_bswap16(payload_sum);
  uint32_t sum = uint32_t{pseudo_header_sum} + prefix_sum + payload_sum;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t checksum = static_cast<uint16_t>(~sum);
  return checksum == 0 ? 0xffff : checksum;  // 0 means "no checksum" in UDP over IPv4
}

void WriteArpFrame(uint8_t* frame, uint16_t operation, const MacAddress& source_mac,
                   const MacAddress& destination_mac, const MacAddress& sender_mac,
                   uint32_t sender_ip, const MacAddress& target_mac, uint32_t target_ip) {
  rte_ether_hdr ethernet;
  std::memcpy(ethernet.dst_addr.addr_bytes, destination_mac.data(), 6);
  std::memcpy(ethernet.src_addr.addr_bytes, source_mac.data(), 6);
  ethernet.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  std::memcpy(frame, &ethernet, kEthernetHeaderSize);

  rte_arp_hdr arp;
  arp.arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp.arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp.arp_hlen = 6;
  arp.arp_plen = 4;
  arp.arp_opcode = rte_cpu_to_be_16(operation);
  std::memcpy(arp.arp_data.arp_sha.addr_bytes, sender_mac.data(), 6);
  arp.arp_data.arp_sip = rte_cpu_to_be_32(sender_ip);
  std::memcpy(arp.arp_data.arp_tha.addr_bytes, target_mac.data(), 6);
  arp.arp_data.arp_tip = rte_cpu_to_be_32(target_ip);
  std::memcpy(frame + kEthernetHeaderSize, &arp, sizeof(arp));
}

}  // namespace mgw::io
