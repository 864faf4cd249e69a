// The dpdk backend on net_af_packet over a veth pair, with the Linux kernel as the peer: kernel
// UDP sockets in a network namespace the test creates send to the backend's address (the kernel
// ARPs for it first), the backend sends fan-out clones back, and the kernel must accept them
// byte-identical with valid checksums. Needs root; fails (never skips) when it cannot run.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dpdk/dpdk_backend.h"
#include "dpdk_test_support.h"
#include "frame_builder.h"
#include "mgw/io/backend_factory.h"
#include "test_netns.h"
#include "udp_peer.h"

namespace mgw::io {
namespace {

using namespace std::chrono_literals;
using testing::Bytes;
using testing::Datagram;
using testing::UdpPeer;

const Endpoint kBackendEndpoint = *Endpoint::Parse("198.18.0.2:5004");
constexpr auto kDeadline = 5s;

// Frames arriving at the kernel's side of the veth (vk0), as they were on the wire: the UDP
// socket only proves the kernel accepted the checksum, this also shows it was not zero.
class WireCapture {
 public:
  WireCapture() {
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = static_cast<int>(if_nametoindex("vk0"));
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~WireCapture() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  // The next incoming UDP frame from the backend's address, or an empty vector.
  std::vector<uint8_t> NextFromBackend() {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 100) != 1) continue;
      std::vector<uint8_t> frame(2048);
      sockaddr_ll from{};
      socklen_t length = sizeof(from);
      const ssize_t got =
          recvfrom(fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&from), &length);
      if (got <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
      frame.resize(static_cast<size_t>(got));
      const uint8_t* ip = frame.data() + kEthernetHeaderSize;
      const bool udp_from_backend = frame.size() > kUdpFrameHeadersSize && frame[12] == 0x08 &&
                                    frame[13] == 0x00 && ip[9] == IPPROTO_UDP &&
                                    testing::Load16(ip + 12) == 0xC612 &&
                                    testing::Load16(ip + 14) == 0x0002;  // 198.18.0.2
      if (udp_from_backend) return frame;
    }
    return {};
  }

 private:
  int fd_ = -1;
};

// The namespace and the backend on its veth, for one test suite.
struct AfPacketSetup {
  AfPacketSetup(const std::string& port, uint16_t queues) {
    netns = std::make_unique<testing::TestNetns>();
    if (!netns->ok()) {
      error = "network namespace: " + netns->error();
      return;
    }
    BackendConfig config;
    config.kind = BackendKind::kDpdk;
    config.local = kBackendEndpoint;
    config.queues = queues;
    config.dpdk.eal_args = testing::TestEalArgs();
    config.dpdk.port = port;
    config.dpdk.prefix_length = 24;
    config.dpdk.mbufs = 2047;
    config.dpdk.rx_descriptors = 256;
    config.dpdk.tx_descriptors = 256;
    BackendResult result = CreatePacketBackend(config);
    if (!result) {
      error = result.error;
      return;
    }
    backend = std::move(result.backend);
  }
  ~AfPacketSetup() {
    backend.reset();  // inside the namespace: af_packet brings the interface down there
    netns.reset();
  }

  std::unique_ptr<testing::TestNetns> netns;
  std::unique_ptr<PacketBackend> backend;
  std::string error;
};

class DpdkAfPacketTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setup_ = new AfPacketSetup("net_af_packet0,iface=vd0", 1); }
  static void TearDownTestSuite() {
    delete setup_;
    setup_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(setup_->backend, nullptr) << setup_->error;
    backend_ = setup_->backend.get();
  }

  // Polls the backend (a poll-mode driver: no sleeping) until `count` packets arrived.
  std::vector<Packet*> ReceiveCount(size_t count) {
    std::vector<Packet*> packets;
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    Packet* burst[kBurstSize];
    while (packets.size() < count && std::chrono::steady_clock::now() < deadline) {
      const uint16_t got = backend_->Receive(0, burst);
      packets.insert(packets.end(), burst, burst + got);
      if (got == 0) std::this_thread::yield();
    }
    return packets;
  }

  static AfPacketSetup* setup_;
  PacketBackend* backend_ = nullptr;
};

AfPacketSetup* DpdkAfPacketTest::setup_ = nullptr;

TEST_F(DpdkAfPacketTest, AnswersArpReceivesFromTheKernelAndFansOutByteExact) {
  UdpPeer publisher(*Endpoint::Parse("198.18.0.1:0"));
  ASSERT_TRUE(publisher.ok());
  std::vector<std::unique_ptr<UdpPeer>> subscribers;
  for (int s = 0; s < 3; ++s) {
    subscribers.push_back(std::make_unique<UdpPeer>(*Endpoint::Parse("198.18.0.1:0")));
    ASSERT_TRUE(subscribers.back()->ok());
  }
  WireCapture capture;
  ASSERT_TRUE(capture.ok());
  // net_af_packet takes chained mbufs: the fan-out below goes by reference, not by copy.
  EXPECT_TRUE(static_cast<DpdkBackend*>(backend_)->clone_by_reference_for_test());

  // The kernel holds these until the backend answers its ARP request.
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 8; ++i) {
    std::vector<uint8_t> datagram(12, static_cast<uint8_t>(0x80 + i));  // "RTP header"
    for (int b = 0; b < 200 + 37 * i; ++b) datagram.push_back(static_cast<uint8_t>(b * (i + 3)));
    ASSERT_TRUE(publisher.SendTo(kBackendEndpoint, datagram));
    sent.push_back(datagram);
  }
  std::vector<Packet*> packets = ReceiveCount(sent.size());
  ASSERT_EQ(packets.size(), sent.size());
  EXPECT_GE(backend_->Stats(0).arp_replies_sent, 1u);
  for (size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(std::vector<uint8_t>(packets[i]->data, packets[i]->data + packets[i]->length),
              sent[i]);
    EXPECT_EQ(packets[i]->source, publisher.endpoint());
    EXPECT_EQ(packets[i]->destination, kBackendEndpoint);
  }

  // Every packet to every subscriber: a rewritten header (odd length for one of them) in front
  // of the shared payload.
  std::vector<std::vector<uint8_t>> headers = {std::vector<uint8_t>(12, 0xA1),
                                               std::vector<uint8_t>(13, 0xB2),
                                               std::vector<uint8_t>(20, 0xC3)};
  std::vector<OutPacket> outputs;
  for (Packet* packet : packets) {
    for (size_t s = 0; s < subscribers.size(); ++s) {
      outputs.push_back(
          OutPacket::WithSharedPayload(subscribers[s]->endpoint(), headers[s], *packet, 12));
    }
  }
  EXPECT_EQ(backend_->Send(0, outputs), outputs.size());
  backend_->Free(0, packets);
  backend_->Flush(0);

  for (size_t s = 0; s < subscribers.size(); ++s) {
    for (size_t i = 0; i < sent.size(); ++i) {
      std::optional<Datagram> datagram = subscribers[s]->Receive();
      ASSERT_TRUE(datagram) << "subscriber " << s << " packet " << i;
      std::vector<uint8_t> expected = headers[s];
      expected.insert(expected.end(), sent[i].begin() + 12, sent[i].end());
      EXPECT_EQ(datagram->bytes, expected) << "subscriber " << s << " packet " << i;
      EXPECT_EQ(datagram->source, kBackendEndpoint);
    }
  }
  for (size_t n = 0; n < outputs.size(); ++n) {
    const std::vector<uint8_t> frame = capture.NextFromBackend();
    ASSERT_FALSE(frame.empty()) << "frame " << n;
    EXPECT_TRUE(testing::Ipv4HeaderChecksumValid(frame));
    const uint16_t checksum = testing::Load16(frame.data() + 40);
    EXPECT_NE(checksum, 0) << "UDP checksum left out";
    EXPECT_EQ(checksum, testing::ReferenceUdpChecksum(frame));
  }
  const IoStats stats = backend_->Stats(0);
  EXPECT_EQ(stats.tx_packets, outputs.size());
  EXPECT_EQ(stats.drop(DropReason::kTxWouldBlock), 0u);
}

TEST_F(DpdkAfPacketTest, ResolvesAKernelNeighbourByArpBeforeSending) {
  // 198.18.0.3 never talked to the backend, so its MAC is unknown.
  UdpPeer peer(*Endpoint::Parse("198.18.0.3:0"));
  ASSERT_TRUE(peer.ok());
  const std::vector<uint8_t> bytes = Bytes("after ARP");
  const OutPacket out = OutPacket::Contiguous(peer.endpoint(), bytes);
  const uint64_t misses = backend_->Stats(0).drop(DropReason::kTxArpUnresolved);
  EXPECT_EQ(backend_->Send(0, {&out, 1}), 0);
  backend_->Flush(0);
  EXPECT_EQ(backend_->Stats(0).drop(DropReason::kTxArpUnresolved), misses + 1);

  // Keep polling (the reply comes in through Receive) and retrying until it goes out.
  bool accepted = false;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  Packet* burst[kBurstSize];
  while (!accepted && std::chrono::steady_clock::now() < deadline) {
    const uint16_t got = backend_->Receive(0, burst);
    backend_->Free(0, {burst, got});
    accepted = backend_->Send(0, {&out, 1}) == 1;
    backend_->Flush(0);
    if (!accepted) std::this_thread::yield();
  }
  ASSERT_TRUE(accepted);
  EXPECT_GE(backend_->Stats(0).arp_requests_sent, 1u);
  std::optional<Datagram> datagram = peer.Receive();
  ASSERT_TRUE(datagram);
  EXPECT_EQ(datagram->bytes, bytes);
  EXPECT_EQ(datagram->source, kBackendEndpoint);
}

TEST_F(DpdkAfPacketTest, CountsUdpForAnotherPort) {
  UdpPeer peer(*Endpoint::Parse("198.18.0.1:0"));
  ASSERT_TRUE(peer.ok());
  const uint64_t before = backend_->Stats(0).drop(DropReason::kRxNotForUs);
  Endpoint other = kBackendEndpoint;
  other.port = 5005;
  ASSERT_TRUE(peer.SendTo(other, Bytes("not for the media port")));
  ASSERT_TRUE(peer.SendTo(kBackendEndpoint, Bytes("for the media port")));
  // The veth keeps order: when the second is in, the first was seen.
  std::vector<Packet*> packets = ReceiveCount(1);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0]->length, 18u);
  backend_->Free(0, packets);
  EXPECT_EQ(backend_->Stats(0).drop(DropReason::kRxNotForUs), before + 1);
}

}  // namespace
}  // namespace mgw::io

namespace mgw::io {
namespace {

// Two queues: net_af_packet spreads flows over its sockets with PACKET_FANOUT_HASH, the
// software analogue of RSS. Every packet must arrive exactly once, each flow on one queue, and
// ARP is answered by whichever queue the request lands on.
class DpdkAfPacketTwoQueueTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_ = new AfPacketSetup("net_af_packet1,iface=vd0,qpairs=2", 2);
  }
  static void TearDownTestSuite() {
    delete setup_;
    setup_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(setup_->backend, nullptr) << setup_->error; }

  static AfPacketSetup* setup_;
};

AfPacketSetup* DpdkAfPacketTwoQueueTest::setup_ = nullptr;

TEST_F(DpdkAfPacketTwoQueueTest, SpreadsFlowsOverQueuesAndDeliversEachPacketOnce) {
  PacketBackend& backend = *setup_->backend;
  ASSERT_EQ(backend.queue_count(), 2);
  constexpr int kFlows = 32;
  constexpr int kPerFlow = 2;
  std::vector<std::unique_ptr<UdpPeer>> peers;
  for (int f = 0; f < kFlows; ++f) {
    peers.push_back(std::make_unique<UdpPeer>(*Endpoint::Parse("198.18.0.1:0")));
    ASSERT_TRUE(peers.back()->ok());
    for (int i = 0; i < kPerFlow; ++i) {
      ASSERT_TRUE(peers.back()->SendTo(kBackendEndpoint,
                                       Bytes(std::to_string(f) + "/" + std::to_string(i))));
    }
  }
  std::multiset<std::string> seen;
  std::map<uint16_t, std::set<uint16_t>> queues_of_flow;
  size_t per_queue[2] = {0, 0};
  Packet* last = nullptr;  // kept to echo back through queue 1
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  Packet* burst[kBurstSize];
  while (seen.size() < kFlows * kPerFlow && std::chrono::steady_clock::now() < deadline) {
    for (uint16_t queue = 0; queue < 2; ++queue) {
      const uint16_t got = backend.Receive(queue, burst);
      for (uint16_t i = 0; i < got; ++i) {
        seen.insert(std::string(reinterpret_cast<const char*>(burst[i]->data), burst[i]->length));
        queues_of_flow[burst[i]->source.port].insert(queue);
        EXPECT_EQ(burst[i]->queue, queue);
        if (queue == 1 && last == nullptr) {
          last = burst[i];
          continue;
        }
        backend.Free(queue, {&burst[i], 1});
      }
      per_queue[queue] += got;
    }
    std::this_thread::yield();
  }
  ASSERT_EQ(seen.size(), static_cast<size_t>(kFlows * kPerFlow));
  for (int f = 0; f < kFlows; ++f) {
    for (int i = 0; i < kPerFlow; ++i) {
      EXPECT_EQ(seen.count(std::to_string(f) + "/" + std::to_string(i)), 1u);
    }
  }
  for (const auto& [port, queues] : queues_of_flow) EXPECT_EQ(queues.size(), 1u) << port;
  EXPECT_GT(per_queue[0], 0u);
  ASSERT_GT(per_queue[1], 0u);  // a false failure has probability 2^-31
  EXPECT_GE(backend.TotalStats().arp_replies_sent, 1u);

  // Queue 1 sends too, from its own TX queue.
  ASSERT_NE(last, nullptr);
  const std::vector<uint8_t> header = Bytes("echo:");
  const OutPacket out = OutPacket::WithSharedPayload(last->source, header, *last, 0);
  const std::vector<uint8_t> expected_tail(last->data, last->data + last->length);
  EXPECT_EQ(backend.Send(1, {&out, 1}), 1);
  backend.Free(1, {&last, 1});
  backend.Flush(1);
  UdpPeer* sender = nullptr;
  for (auto& peer : peers) {
    if (peer->endpoint() == out.destination) sender = peer.get();
  }
  ASSERT_NE(sender, nullptr);
  std::optional<Datagram> datagram = sender->Receive();
  ASSERT_TRUE(datagram);
  std::vector<uint8_t> expected = header;
  expected.insert(expected.end(), expected_tail.begin(), expected_tail.end());
  EXPECT_EQ(datagram->bytes, expected);
  EXPECT_EQ(backend.Stats(1).tx_packets, 1u);
}

}  // namespace
}  // namespace mgw::io
