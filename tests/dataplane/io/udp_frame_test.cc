#include "dpdk/udp_frame.h"

#include <gtest/gtest.h>
#include <rte_ip.h>

#include <vector>

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

// The sums WriteUdpFrameHeaders returns (computed from its values) are the ones read back from
// the frame it wrote, carries included.
TEST(UdpFrameTest, WrittenHeadersReturnTheirOwnSums) {
  for (uint32_t address : {0xC6120002u, 0xffffffffu, 0u}) {
    for (uint16_t port : {uint16_t{5004}, uint16_t{0xffff}}) {
      for (uint16_t payload_length : {0, 1, 172, 1216, 65507}) {
        UdpFrameHeaders headers;
        headers.source_ip = address;
        headers.destination_ip = ~address ^ 0x0a07u;
        headers.source_port = port;
        headers.destination_port = static_cast<uint16_t>(port - payload_length);
        headers.ip_id = static_cast<uint16_t>(0xfffe - payload_length);
        headers.payload_length = payload_length;
        std::vector<uint8_t> frame(kUdpFrameHeadersSize);
        const UdpFrameSums sums = WriteUdpFrameHeaders(frame.data(), headers);
        const uint8_t* ip = frame.data() + kEthernetHeaderSize;
        SCOPED_TRACE(::testing::Message() << address << " " << port << " " << payload_length);
        EXPECT_EQ(sums.ip_header_checksum, Ipv4HeaderChecksum(ip));
        EXPECT_EQ(sums.pseudo_header_sum, Ipv4PseudoHeaderSum(ip));
        EXPECT_EQ(sums.udp_header_sum, RawSum(ip + kIpv4HeaderSize, kUdpHeaderSize));
        EXPECT_EQ(AddRawSums(sums.udp_header_sum, RawSum(ip, kIpv4HeaderSize)),
                  RawSum(ip, kIpv4HeaderSize + kUdpHeaderSize));
      }
    }
  }
}

// Every implementation of RawSum gives rte_raw_cksum's folded sum: each length around the
// vector widths, every alignment, words that carry (all ones), and lengths past the point where
// the wide loops spill their 32-bit lanes.
TEST(UdpFrameTest, RawSumMatchesDpdkAtEveryLengthAndAlignment) {
  std::vector<uint8_t> bytes(4200);
  uint32_t state = 12345;
  for (uint8_t& b : bytes) b = static_cast<uint8_t>((state = state * 1103515245u + 12345u) >> 24);
  const std::vector<uint8_t> ones(bytes.size(), 0xff);
  const std::vector<uint8_t> zeros(bytes.size(), 0);
  for (const RawSumImplementation& impl : RawSumImplementations()) {
    for (const std::vector<uint8_t>* data :
         std::initializer_list<const std::vector<uint8_t>*>{&bytes, &ones, &zeros}) {
      for (uint32_t offset = 0; offset < 8; ++offset) {
        for (uint32_t length = 0; length <= 2100; ++length) {
          const uint8_t* start = data->data() + offset;
          ASSERT_EQ(impl.sum(start, length), rte_raw_cksum(start, length))
              << impl.name << " offset " << offset << " length " << length;
        }
      }
    }
    // rte_raw_cksum's 32-bit accumulator overflows past about 128 KiB of ones, so these
    // compare with a word-at-a-time sum in 64 bits.
    for (uint32_t length : {1u << 20, (1u << 20) + 63, 3u << 20, (3u << 20) + 1}) {
      std::vector<uint8_t> big(length, 0xff);
      for (size_t i = 0; i < big.size(); i += 977) big[i] = static_cast<uint8_t>(i);
      uint64_t reference = 0;
      for (size_t i = 0; i + 1 < big.size(); i += 2) reference += big[i] | (big[i + 1] << 8);
      if (length % 2 == 1) reference += big.back();
      while (reference >> 16) reference = (reference & 0xffff) + (reference >> 16);
      EXPECT_EQ(impl.sum(big.data(), length), reference) << impl.name << " length " << length;
    }
  }
  EXPECT_GE(RawSumImplementations().size(), 1u);
}

}  // namespace
}  // namespace mgw::io
