// The dpdk backend on net_ring: the ring is the wire, so the test injects frames into it and reads
// back what the backend transmitted (including the mbuf chains, to check clone-by-reference).

#include "dpdk/dpdk_backend.h"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <memory>
#include <string>
#include <vector>

#include "dpdk_test_support.h"
#include "frame_builder.h"
#include "mgw/io/backend_factory.h"

namespace mgw::io {
namespace {

using testing::ArpFrame;
using testing::FrameBytes;
using testing::ReferenceUdpChecksum;
using testing::UdpFrame;
using testing::UdpFrameSpec;

constexpr uint32_t kLocalIp = 0xC6120002;  // 198.18.0.2
constexpr uint32_t kPeerIp = 0xC6120001;   // 198.18.0.1
constexpr MacAddress kPeerMac = {0x02, 0, 0, 0, 0, 0x01};
constexpr MacAddress kGatewayMac = {0x02, 0, 0, 0, 0, 0xfe};

class DpdkRingTest : public ::testing::Test {
 protected:
  void Open(std::optional<MacAddress> gateway_mac = std::nullopt) {
    static int sequence = 0;
    name_ = "net_ring" + std::to_string(sequence++);
    BackendConfig config;
    config.kind = BackendKind::kDpdk;
    config.local = Endpoint::V4(kLocalIp, 5004);
    config.dpdk.eal_args = testing::TestEalArgs();
    config.dpdk.port = name_;
    config.dpdk.mbufs = 2047;
    config.dpdk.gateway_mac = gateway_mac;
    BackendResult result = CreatePacketBackend(config);
    ASSERT_TRUE(result) << result.error;
    backend_ = std::move(result.backend);
    dpdk_ = static_cast<DpdkBackend*>(backend_.get());
    ring_ = rte_ring_lookup(("ETH_RXTX0_" + name_).c_str());
    ASSERT_NE(ring_, nullptr);
    pool_ = rte_pktmbuf_pool_create(("test_" + name_).c_str(), 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }

  void TearDown() override {
    for (rte_mbuf* mbuf : Transmitted()) rte_pktmbuf_free(mbuf);
    backend_.reset();
    rte_mempool_free(pool_);
  }

  // Puts a frame on the wire towards the backend.
  void Inject(const std::vector<uint8_t>& frame) {
    rte_mbuf* mbuf = rte_pktmbuf_alloc(pool_);
    ASSERT_NE(mbuf, nullptr);
    std::memcpy(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(frame.size())), frame.data(),
                frame.size());
    ASSERT_EQ(rte_ring_enqueue(ring_, mbuf), 0);
  }

  // What the backend put on the wire since the last call.
  std::vector<rte_mbuf*> Transmitted() {
    std::vector<rte_mbuf*> mbufs;
    if (ring_ == nullptr) return mbufs;
    void* object;
    while (rte_ring_dequeue(ring_, &object) == 0) mbufs.push_back(static_cast<rte_mbuf*>(object));
    return mbufs;
  }

  std::vector<Packet*> ReceiveAll() {
    Packet* burst[kBurstSize];
    const uint16_t got = backend_->Receive(0, burst);
    return std::vector<Packet*>(burst, burst + got);
  }

  // Teaches the backend the peer's MAC the way the kernel would: an ARP request for our address.
  void LearnPeer() {
    Inject(ArpFrame(RTE_ARP_OP_REQUEST, kPeerMac, kPeerIp, kLocalIp));
    EXPECT_TRUE(ReceiveAll().empty());
    for (rte_mbuf* reply : Transmitted()) rte_pktmbuf_free(reply);
  }

  std::string name_;
  std::unique_ptr<PacketBackend> backend_;
  DpdkBackend* dpdk_ = nullptr;
  rte_ring* ring_ = nullptr;
  rte_mempool* pool_ = nullptr;
};

TEST_F(DpdkRingTest, ReceivesUdpForItsAddressAndCountsTheRest) {
  ASSERT_NO_FATAL_FAILURE(Open());
  const std::vector<uint8_t> payload = {1, 2, 3, 4, 5};
  Inject(UdpFrame(UdpFrameSpec{}, payload));
  UdpFrameSpec other_port;
  other_port.destination_port = 5005;
  Inject(UdpFrame(other_port, payload));
  std::vector<uint8_t> not_ip = UdpFrame(UdpFrameSpec{}, payload);
  not_ip[12] = 0x86;
  not_ip[13] = 0xdd;
  Inject(not_ip);

  std::vector<Packet*> packets = ReceiveAll();
  ASSERT_EQ(packets.size(), 1u);
  const Packet& packet = *packets[0];
  EXPECT_EQ(std::vector<uint8_t>(packet.data, packet.data + packet.length), payload);
  EXPECT_EQ(packet.source, Endpoint::V4(kPeerIp, 40000));
  EXPECT_EQ(packet.destination, Endpoint::V4(kLocalIp, 5004));
  EXPECT_EQ(packet.queue, 0);
  EXPECT_GE(packet.headroom, uint32_t{RTE_PKTMBUF_HEADROOM});
  const IoStats stats = backend_->Stats(0);
  EXPECT_EQ(stats.rx_packets, 1u);
  EXPECT_EQ(stats.rx_bytes, payload.size());
  EXPECT_EQ(stats.drop(DropReason::kRxNotForUs), 1u);
  EXPECT_EQ(stats.drop(DropReason::kRxNotIpv4Udp), 1u);
  backend_->Free(0, packets);
}

TEST_F(DpdkRingTest, AnswersArpForItsOwnAddressOnly) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Inject(ArpFrame(RTE_ARP_OP_REQUEST, kPeerMac, kPeerIp, 0xC6120063));  // someone else
  Inject(ArpFrame(RTE_ARP_OP_REQUEST, kPeerMac, kPeerIp, kLocalIp));
  EXPECT_TRUE(ReceiveAll().empty());

  std::vector<rte_mbuf*> sent = Transmitted();
  ASSERT_EQ(sent.size(), 1u);
  const std::vector<uint8_t> reply = FrameBytes(sent[0]);
  rte_pktmbuf_free(sent[0]);
  const FrameVerdict verdict = ParseFrame(reply.data(), reply.size(), kPeerIp, 0, false);
  ASSERT_EQ(verdict.kind, FrameVerdict::Kind::kArp);
  EXPECT_EQ(verdict.arp.operation, RTE_ARP_OP_REPLY);
  EXPECT_EQ(verdict.arp.sender_ip, kLocalIp);
  EXPECT_EQ(verdict.arp.sender_mac, dpdk_->mac_for_test());
  EXPECT_EQ(verdict.arp.target_ip, kPeerIp);
  EXPECT_TRUE(std::equal(kPeerMac.begin(), kPeerMac.end(), reply.begin()));  // Ethernet dst
  EXPECT_EQ(backend_->Stats(0).arp_replies_sent, 1u);
}

TEST_F(DpdkRingTest, ResolvesNextHopsByArpAndCountsTheMiss) {
  ASSERT_NO_FATAL_FAILURE(Open());
  const uint32_t neighbour = 0xC6120007;
  const MacAddress neighbour_mac = {0x02, 0, 0, 0, 0, 0x07};
  const std::vector<uint8_t> bytes = {9, 9, 9};
  const OutPacket out = OutPacket::Contiguous(Endpoint::V4(neighbour, 6000), bytes);

  EXPECT_EQ(backend_->Send(0, {&out, 1}), 0);
  backend_->Flush(0);
  EXPECT_EQ(backend_->Stats(0).drop(DropReason::kTxArpUnresolved), 1u);
  std::vector<rte_mbuf*> sent = Transmitted();
  ASSERT_EQ(sent.size(), 1u);
  const std::vector<uint8_t> request = FrameBytes(sent[0]);
  rte_pktmbuf_free(sent[0]);
  const FrameVerdict verdict = ParseFrame(request.data(), request.size(), neighbour, 0, false);
  ASSERT_EQ(verdict.kind, FrameVerdict::Kind::kArp);
  EXPECT_EQ(verdict.arp.operation, RTE_ARP_OP_REQUEST);
  EXPECT_EQ(verdict.arp.target_ip, neighbour);
  EXPECT_EQ(request[0], 0xff);  // broadcast
  EXPECT_EQ(backend_->Stats(0).arp_requests_sent, 1u);

  // A second miss right away does not repeat the request.
  EXPECT_EQ(backend_->Send(0, {&out, 1}), 0);
  backend_->Flush(0);
  EXPECT_TRUE(Transmitted().empty());

  Inject(ArpFrame(RTE_ARP_OP_REPLY, neighbour_mac, neighbour, kLocalIp, dpdk_->mac_for_test()));
  EXPECT_TRUE(ReceiveAll().empty());
  EXPECT_EQ(backend_->Send(0, {&out, 1}), 1);
  backend_->Flush(0);
  sent = Transmitted();
  ASSERT_EQ(sent.size(), 1u);
  const std::vector<uint8_t> frame = FrameBytes(sent[0]);
  rte_pktmbuf_free(sent[0]);
  EXPECT_TRUE(std::equal(neighbour_mac.begin(), neighbour_mac.end(), frame.begin()));
  EXPECT_EQ(frame.size(), kUdpFrameHeadersSize + bytes.size());
}

TEST_F(DpdkRingTest, SendsOffLinkToTheGatewayMac) {
  ASSERT_NO_FATAL_FAILURE(Open(kGatewayMac));
  const std::vector<uint8_t> bytes(40, 7);
  const OutPacket out = OutPacket::Contiguous(*Endpoint::Parse("203.0.113.9:7000"), bytes);
  EXPECT_EQ(backend_->Send(0, {&out, 1}), 1);
  backend_->Flush(0);
  std::vector<rte_mbuf*> sent = Transmitted();
  ASSERT_EQ(sent.size(), 1u);
  const std::vector<uint8_t> frame = FrameBytes(sent[0]);
  rte_pktmbuf_free(sent[0]);
  EXPECT_TRUE(std::equal(kGatewayMac.begin(), kGatewayMac.end(), frame.begin()));
  EXPECT_TRUE(testing::Ipv4HeaderChecksumValid(frame));
  EXPECT_EQ(testing::Load16(frame.data() + 40), ReferenceUdpChecksum(frame));
  EXPECT_EQ(backend_->Stats(0).tx_packets, 1u);
  EXPECT_EQ(backend_->Stats(0).tx_bytes, bytes.size());
}

TEST_F(DpdkRingTest, FanOutClonesReferenceTheSharedPayloadMbuf) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(dpdk_->clone_by_reference_for_test());
  LearnPeer();
  std::vector<uint8_t> ingress(12, 0x80);
  for (int i = 0; i < 300; ++i) ingress.push_back(static_cast<uint8_t>(i));
  Inject(UdpFrame(UdpFrameSpec{}, ingress));
  std::vector<Packet*> packets = ReceiveAll();
  ASSERT_EQ(packets.size(), 1u);
  rte_mbuf* payload_mbuf = DpdkBackend::MbufOfForTest(*packets[0]);
  rte_mempool* rx_pool = payload_mbuf->pool;
  ASSERT_EQ(rte_mbuf_refcnt_read(payload_mbuf), 1);

  // Three subscribers, headers of 12, 13 (odd: exercises the checksum byte swap) and 16 bytes.
  std::vector<std::vector<uint8_t>> headers = {std::vector<uint8_t>(12, 0xA0),
                                               std::vector<uint8_t>(13, 0xB0),
                                               std::vector<uint8_t>(16, 0xC0)};
  std::vector<OutPacket> outputs;
  for (uint16_t s = 0; s < 3; ++s) {
    outputs.push_back(
        OutPacket::WithSharedPayload(Endpoint::V4(kPeerIp, 6000 + s), headers[s], *packets[0], 12));
  }
  EXPECT_EQ(backend_->Send(0, outputs), 3);
  backend_->Flush(0);
  EXPECT_EQ(rte_mbuf_refcnt_read(payload_mbuf), 4) << "one reference per clone";
  backend_->Free(0, packets);
  EXPECT_EQ(rte_mbuf_refcnt_read(payload_mbuf), 3);

  std::vector<rte_mbuf*> sent = Transmitted();
  ASSERT_EQ(sent.size(), 3u);
  for (uint16_t s = 0; s < 3; ++s) {
    rte_mbuf* head = sent[s];
    ASSERT_EQ(head->nb_segs, 2);
    ASSERT_NE(head->next, nullptr);
    EXPECT_TRUE(RTE_MBUF_CLONED(head->next));
    EXPECT_EQ(rte_mbuf_from_indirect(head->next), payload_mbuf) << "payload not copied";
    EXPECT_EQ(head->data_len, kUdpFrameHeadersSize + headers[s].size());

    const std::vector<uint8_t> frame = FrameBytes(head);
    std::vector<uint8_t> expected_body = headers[s];
    expected_body.insert(expected_body.end(), ingress.begin() + 12, ingress.end());
    EXPECT_EQ(std::vector<uint8_t>(frame.begin() + kUdpFrameHeadersSize, frame.end()),
              expected_body);
    EXPECT_TRUE(std::equal(kPeerMac.begin(), kPeerMac.end(), frame.begin()));
    const FrameVerdict verdict =
        ParseFrame(frame.data(), frame.size(), kPeerIp, 6000 + s, /*ip_checksum_checked=*/false);
    ASSERT_EQ(verdict.kind, FrameVerdict::Kind::kUdp) << "IPv4 checksum or lengths wrong";
    EXPECT_EQ(verdict.udp.source_ip, kLocalIp);
    EXPECT_EQ(verdict.udp.source_port, 5004);
    EXPECT_EQ(testing::Load16(frame.data() + 40), ReferenceUdpChecksum(frame));
  }
  const unsigned free_before = rte_mempool_avail_count(rx_pool);
  for (rte_mbuf* head : sent) rte_pktmbuf_free(head);
  EXPECT_EQ(rte_mempool_avail_count(rx_pool), free_before + 1) << "payload mbuf back in its pool";
  const IoStats stats = backend_->Stats(0);
  EXPECT_EQ(stats.tx_packets, 3u);
  EXPECT_EQ(stats.tx_bytes, 3u * 300 + 12 + 13 + 16);
}

TEST_F(DpdkRingTest, CountsAFullTxRingAsWouldBlock) {
  ASSERT_NO_FATAL_FAILURE(Open(kGatewayMac));
  const std::vector<uint8_t> bytes(20, 1);
  std::vector<OutPacket> outputs(1100,
                                 OutPacket::Contiguous(*Endpoint::Parse("203.0.113.9:7"), bytes));
  EXPECT_EQ(backend_->Send(0, outputs), 1100);
  backend_->Flush(0);
  const IoStats stats = backend_->Stats(0);
  EXPECT_GT(stats.drop(DropReason::kTxWouldBlock), 0u);
  EXPECT_EQ(stats.tx_packets + stats.drop(DropReason::kTxWouldBlock), 1100u);
  std::vector<rte_mbuf*> sent = Transmitted();
  EXPECT_EQ(sent.size(), stats.tx_packets);
  for (rte_mbuf* mbuf : sent) rte_pktmbuf_free(mbuf);
}

}  // namespace
}  // namespace mgw::io
