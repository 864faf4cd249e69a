#pragma once

// Ethernet/IPv4/UDP and ARP as the dpdk backend sees them: parsing a received frame into a
// verdict, writing the headers of a frame to send, and the checksum arithmetic. Pure functions
// over bytes (DPDK's header structs and checksum helpers, no mbufs).

#include <cstdint>
#include <vector>

#include "mgw/io/backend_config.h"
#include "mgw/io/io_stats.h"

namespace mgw::io {

inline constexpr uint32_t kEthernetHeaderSize = 14;
inline constexpr uint32_t kIpv4HeaderSize = 20;  // what we send: no options
inline constexpr uint32_t kUdpHeaderSize = 8;
inline constexpr uint32_t kUdpFrameHeadersSize =
    kEthernetHeaderSize + kIpv4HeaderSize + kUdpHeaderSize;
inline constexpr uint32_t kArpFrameSize = kEthernetHeaderSize + 28;

// Addresses in host order.
struct UdpFrameInfo {
  uint32_t source_ip = 0;
  uint32_t destination_ip = 0;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint32_t payload_offset = 0;  // from the start of the frame
  uint32_t payload_length = 0;
};

struct ArpInfo {
  uint16_t operation = 0;  // RTE_ARP_OP_REQUEST / RTE_ARP_OP_REPLY
  MacAddress sender_mac{};
  uint32_t sender_ip = 0;
  uint32_t target_ip = 0;
};

struct FrameVerdict {
  enum class Kind : uint8_t { kUdp, kArp, kDrop };
  Kind kind = Kind::kDrop;
  DropReason reason = DropReason::kRxMalformed;  // when kDrop
  UdpFrameInfo udp;
  ArpInfo arp;
};

// Classifies one contiguous frame. UDP is accepted only when addressed to local_ip:local_port.
// `ip_checksum_checked` skips the IPv4 header checksum when the NIC already verified it.
FrameVerdict ParseFrame(const uint8_t* frame, uint32_t length, uint32_t local_ip,
                        uint16_t local_port, bool ip_checksum_checked);

struct UdpFrameHeaders {
  MacAddress source_mac{};
  MacAddress destination_mac{};
  uint32_t source_ip = 0;
  uint32_t destination_ip = 0;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint16_t ip_id = 0;
  uint16_t payload_length = 0;  // UDP payload bytes
};

// What the checksums need from the headers WriteUdpFrameHeaders wrote, computed from its own
// values: summing the frame's bytes right after they were stored stalls on store forwarding
// (the loads straddle the stores still in flight), which cost as much as the sum itself.
struct UdpFrameSums {
  uint16_t ip_header_checksum = 0;  // the IPv4 header checksum field's value
  uint16_t pseudo_header_sum = 0;   // Ipv4PseudoHeaderSum of the header written
  uint16_t udp_header_sum = 0;      // RawSum of the UDP header written (checksum field zero)
};

// Writes Ethernet, IPv4 (DF, TTL 64) and UDP headers at `frame` (kUdpFrameHeadersSize bytes).
// Both checksums are left zero; the returned sums fill them in.
UdpFrameSums WriteUdpFrameHeaders(uint8_t* frame, const UdpFrameHeaders& headers);

// Adds two folded RawSums of byte runs, the first of even length, as RawSum of the
// concatenation.
uint16_t AddRawSums(uint16_t first, uint16_t second);

// The IPv4 header checksum for the header at `ip` (its checksum field must be zero), read from
// its bytes: for frames built elsewhere (tests); the TX path takes UdpFrameSums instead.
uint16_t Ipv4HeaderChecksum(const uint8_t* ip);

// Ones'-complement sum arithmetic for the UDP checksum, so a fan-out can sum a shared payload
// once and combine it with each output's headers.
uint16_t RawSum(const uint8_t* bytes, uint32_t length);  // folded, not complemented
// For tests: each implementation of RawSum (the portable loop, and on x86-64 the SSE2 one it
// uses), so that each is checked whichever the machine runs.
struct RawSumImplementation {
  const char* name;
  uint16_t (*sum)(const uint8_t* bytes, uint32_t length);
};
std::vector<RawSumImplementation> RawSumImplementations();
// Pseudo-header sum (RFC 768) for the IPv4 header at `ip`, read from its bytes (as above).
uint16_t Ipv4PseudoHeaderSum(const uint8_t* ip);
// The UDP checksum field value from the pseudo-header sum, the sum of the bytes from the UDP
// header on up to where the payload starts (`prefix_length` bytes, checksum field zero) and the
// payload's own RawSum.
uint16_t CombineUdpChecksum(uint16_t pseudo_header_sum, uint16_t prefix_sum, uint32_t prefix_length,
                            uint16_t payload_sum);

// Writes a complete ARP frame (kArpFrameSize bytes).
void WriteArpFrame(uint8_t* frame, uint16_t operation, const MacAddress& source_mac,
                   const MacAddress& destination_mac, const MacAddress& sender_mac,
                   uint32_t sender_ip, const MacAddress& target_mac, uint32_t target_ip);

}  // namespace mgw::io
