#include "dpdk/udp_frame.h"

#include <gtest/gtest.h>

#include "frame_builder.h"

namespace mgw::io {
namespace {

using testing::ArpFrame;
using testing::ReferenceUdpChecksum;
using testing::UdpFrame;
using testing::UdpFrameSpec;

constexpr uint32_t kLocalIp = 0xC6120002;

std::vector<uint8_t> Payload(size_t length) {
  std::vector<uint8_t> payload(length);
  for (size_t i = 0; i < length; ++i) payload[i] = static_cast<uint8_t>(i * 13 + 1);
  return payload;
}

TEST(UdpFrameTest, ParsesUdpForUs) {
  const std::vector<uint8_t> frame = UdpFrame(UdpFrameSpec{}, Payload(100));
  const FrameVerdict verdict = ParseFrame(frame.data(), frame.size(), kLocalIp, 5004, false);
  ASSERT_EQ(verdict.kind, FrameVerdict::Kind::kUdp);
  EXPECT_EQ(verdict.udp.source_ip, 0xC6120001u);
  EXPECT_EQ(verdict.udp.source_port, 40000);
  EXPECT_EQ(verdict.udp.destination_port, 5004);
  EXPECT_EQ(verdict.udp.payload_offset, kUdpFrameHeadersSize);
  EXPECT_EQ(verdict.udp.payload_length, 100u);
}

TEST(UdpFrameTest, IgnoresEthernetPadding) {
  std::vector<uint8_t> frame = UdpFrame(UdpFrameSpec{}, Payload(2));
  frame.resize(60, 0);
  const FrameVerdict verdict = ParseFrame(frame.data(), frame.size(), kLocalIp, 5004, false);
  ASSERT_EQ(verdict.kind, FrameVerdict::Kind::kUdp);
  EXPECT_EQ(verdict.udp.payload_length, 2u);
}

TEST(UdpFrameTest, ClassifiesWhatItDrops) {
  const auto verdict_of = [](const std::vector<uint8_t>& frame) {
    const FrameVerdict verdict = ParseFrame(frame.data(), frame.size(), kLocalIp, 5004, false);
    EXPECT_EQ(verdict.kind, FrameVerdict::Kind::kDrop);
    return verdict.reason;
  };
  const std::vector<uint8_t> good = UdpFrame(UdpFrameSpec{}, Payload(40));

  UdpFrameSpec other_port;
  other_port.destination_port = 5005;
  EXPECT_EQ(verdict_of(UdpFrame(other_port, Payload(4))), DropReason::kRxNotForUs);
  UdpFrameSpec other_ip;
  other_ip.destination_ip = 0xC6120009;
  EXPECT_EQ(verdict_of(UdpFrame(other_ip, Payload(4))), DropReason::kRxNotForUs);

  std::vector<uint8_t> ipv6 = good;
  ipv6[12] = 0x86;
  ipv6[13] = 0xdd;
  EXPECT_EQ(verdict_of(ipv6), DropReason::kRxNotIpv4Udp);

  std::vector<uint8_t> tcp = good;
  tcp[kEthernetHeaderSize + 9] = IPPROTO_TCP;
  tcp[kEthernetHeaderSize + 10] = tcp[kEthernetHeaderSize + 11] = 0;
  const uint16_t checksum = Ipv4HeaderChecksum(tcp.data() + kEthernetHeaderSize);
  std::memcpy(tcp.data() + kEthernetHeaderSize + 10, &checksum, 2);
  EXPECT_EQ(verdict_of(tcp), DropReason::kRxNotIpv4Udp);

  std::vector<uint8_t> bad_checksum = good;
  bad_checksum[kEthernetHeaderSize + 8] ^= 1;  // TTL
  EXPECT_EQ(verdict_of(bad_checksum), DropReason::kRxBadChecksum);

  std::vector<uint8_t> fragment = good;
  fragment[kEthernetHeaderSize + 6] = 0x20;  // MF
  fragment[kEthernetHeaderSize + 10] = fragment[kEthernetHeaderSize + 11] = 0;
  const uint16_t fragment_checksum = Ipv4HeaderChecksum(fragment.data() + kEthernetHeaderSize);
  std::memcpy(fragment.data() + kEthernetHeaderSize + 10, &fragment_checksum, 2);
  EXPECT_EQ(verdict_of(fragment), DropReason::kRxFragment);

  EXPECT_EQ(verdict_of(std::vector<uint8_t>(good.begin(), good.begin() + 40)),
            DropReason::kRxMalformed);  // shorter than its IPv4 total length
  EXPECT_EQ(verdict_of(std::vector<uint8_t>(10, 0)), DropReason::kRxMalformed);
}

TEST(UdpFrameTest, ParsesArp) {
  const MacAddress mac{2, 0, 0, 0, 0, 1};
  const std::vector<uint8_t> frame = ArpFrame(RTE_ARP_OP_REQUEST, mac, 0xC6120001, kLocalIp);
  const FrameVerdict verdict = ParseFrame(frame.data(), frame.size(), kLocalIp, 5004, false);
  ASSERT_EQ(verdict.kind, FrameVerdict::Kind::kArp);
  EXPECT_EQ(verdict.arp.operation, RTE_ARP_OP_REQUEST);
  EXPECT_EQ(verdict.arp.sender_mac, mac);
  EXPECT_EQ(verdict.arp.sender_ip, 0xC6120001u);
  EXPECT_EQ(verdict.arp.target_ip, kLocalIp);
}

// The split sum (headers + once-summed shared payload) must equal the checksum over the whole
// datagram for every header length, odd ones included.
TEST(UdpFrameTest, SplitChecksumMatchesTheReference) {
  for (uint32_t header_length : {0u, 1u, 12u, 13u, 40u}) {
    for (uint32_t payload_length : {0u, 1u, 2u, 999u, 1000u}) {
      std::vector<uint8_t> body = Payload(header_length + payload_length);
      std::vector<uint8_t> frame = UdpFrame(UdpFrameSpec{}, body);
      uint8_t* ip = frame.data() + kEthernetHeaderSize;
      uint8_t* udp = ip + kIpv4HeaderSize;
      const uint16_t expected = ReferenceUdpChecksum(frame);
      udp[6] = udp[7] = 0;
      const uint32_t prefix = kUdpHeaderSize + header_length;
      const uint16_t checksum = CombineUdpChecksum(Ipv4PseudoHeaderSum(ip), RawSum(udp, prefix),
                                                   prefix, RawSum(udp + prefix, payload_length));
      std::memcpy(udp + 6, &checksum, 2);
      EXPECT_EQ(testing::Load16(udp + 6), expected)
          << "header " << header_length << " payload " << payload_length;
    }
  }
}

}  // namespace
}  // namespace mgw::io
