// The posix and uring backends against real kernel UDP sockets on loopback.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mgw/io/backend_factory.h"
#include "udp_peer.h"

namespace mgw::io {
namespace {

using testing::Bytes;
using testing::Datagram;
using testing::UdpPeer;
using namespace std::chrono_literals;

constexpr auto kDeadline = 5s;

struct Variant {
  const char* name;
  BackendKind kind;
  UringConfig::RxMode rx_mode;
};

class SocketBackendTest : public ::testing::TestWithParam<Variant> {
 protected:
  BackendConfig Config(const char* local = "127.0.0.1:0", uint16_t queues = 1) const {
    BackendConfig config;
    config.kind = GetParam().kind;
    config.uring.rx_mode = GetParam().rx_mode;
    config.local = *Endpoint::Parse(local);
    config.queues = queues;
    config.packets_per_queue = 256;
    return config;
  }

  std::unique_ptr<PacketBackend> Create(const BackendConfig& config) const {
    BackendResult result = CreatePacketBackend(config);
    EXPECT_TRUE(result) << result.error;
    return std::move(result.backend);
  }

  // Receives on `queue` until `count` packets arrived or the deadline passed.
  static std::vector<Packet*> ReceiveCount(PacketBackend& backend, uint16_t queue, size_t count) {
    std::vector<Packet*> packets;
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    Packet* burst[kBurstSize];
    while (packets.size() < count && std::chrono::steady_clock::now() < deadline) {
      const uint16_t got = backend.Receive(queue, burst);
      packets.insert(packets.end(), burst, burst + got);
      if (got == 0) backend.Wait(queue, 50ms);
    }
    return packets;
  }

  static std::string Text(const Packet& packet) {
    return std::string(reinterpret_cast<const char*>(packet.data), packet.length);
  }
};

TEST_P(SocketBackendTest, ReceivesABurstWithSourceAndDestination) {
  auto backend = Create(Config());
  ASSERT_TRUE(backend);
  const Endpoint local = backend->local_endpoint();
  ASSERT_NE(local.port, 0);
  EXPECT_EQ(backend->name(), GetParam().kind == BackendKind::kPosix ? "posix" : "uring");

  std::vector<std::unique_ptr<UdpPeer>> peers;
  std::map<std::string, Endpoint> sent;  // payload -> sender
  for (int p = 0; p < 3; ++p) {
    peers.push_back(std::make_unique<UdpPeer>(*Endpoint::Parse("127.0.0.1:0")));
    ASSERT_TRUE(peers.back()->ok());
    for (int i = 0; i < 8; ++i) {
      const std::string payload = "peer" + std::to_string(p) + "-packet" + std::to_string(i);
      ASSERT_TRUE(peers.back()->SendTo(local, Bytes(payload)));
      sent[payload] = peers.back()->endpoint();
    }
  }

  std::vector<Packet*> packets = ReceiveCount(*backend, 0, sent.size());
  ASSERT_EQ(packets.size(), sent.size());
  for (Packet* packet : packets) {
    const auto it = sent.find(Text(*packet));
    ASSERT_NE(it, sent.end()) << Text(*packet);
    EXPECT_EQ(packet->source, it->second);
    EXPECT_EQ(packet->destination, local);
    EXPECT_EQ(packet->queue, 0);
    EXPECT_GE(packet->headroom, 128u);
    sent.erase(it);
  }
  const IoStats stats = backend->Stats(0);
  EXPECT_EQ(stats.rx_packets, 24u);
  EXPECT_EQ(stats.total_drops(), 0u);
  backend->Free(0, packets);
}

TEST_P(SocketBackendTest, FansOutHeaderPlusSharedPayloadByteExact) {
  auto backend = Create(Config());
  ASSERT_TRUE(backend);
  UdpPeer publisher(*Endpoint::Parse("127.0.0.1:0"));
  ASSERT_TRUE(publisher.ok());
  // A 12-byte "RTP header" and a payload long enough to matter.
  std::vector<uint8_t> ingress(12, 0xAA);
  for (int i = 0; i < 1000; ++i) ingress.push_back(static_cast<uint8_t>(i * 7));
  ASSERT_TRUE(publisher.SendTo(backend->local_endpoint(), ingress));
  std::vector<Packet*> received = ReceiveCount(*backend, 0, 1);
  ASSERT_EQ(received.size(), 1u);
  Packet* packet = received[0];
  ASSERT_EQ(packet->length, ingress.size());

  std::vector<std::unique_ptr<UdpPeer>> subscribers;
  std::vector<std::vector<uint8_t>> headers;
  std::vector<OutPacket> outputs;
  for (int s = 0; s < 4; ++s) {
    subscribers.push_back(std::make_unique<UdpPeer>(*Endpoint::Parse("127.0.0.1:0")));
    ASSERT_TRUE(subscribers.back()->ok());
    // Rewritten headers of different lengths (CSRC/extension growth).
    headers.emplace_back(12 + 4 * s, static_cast<uint8_t>(0x10 + s));
  }
  for (int s = 0; s < 4; ++s) {
    outputs.push_back(
        OutPacket::WithSharedPayload(subscribers[s]->endpoint(), headers[s], *packet, 12));
  }
  EXPECT_EQ(backend->Send(0, outputs), 4);
  // The ingress packet may go back before the sends complete: backends keep their reference.
  backend->Free(0, received);
  backend->Flush(0);

  for (int s = 0; s < 4; ++s) {
    std::optional<Datagram> datagram = subscribers[s]->Receive();
    ASSERT_TRUE(datagram) << "subscriber " << s;
    std::vector<uint8_t> expected = headers[s];
    expected.insert(expected.end(), ingress.begin() + 12, ingress.end());
    EXPECT_EQ(datagram->bytes, expected) << "subscriber " << s;
    EXPECT_EQ(datagram->source, backend->local_endpoint());
  }
  backend->Flush(0);
  const IoStats stats = backend->Stats(0);
  EXPECT_EQ(stats.tx_packets, 4u);
  EXPECT_EQ(stats.tx_bytes, 4u * 1000 + 12 + 16 + 20 + 24);
  EXPECT_EQ(stats.total_drops(), 0u);
}

// A backlog of received packets larger than a burst, fanned out with only 32 send slots: the
// uring backend once left send completions in the ring behind receive completions it had no room
// for, so its slots never came back and the rest of the fan-out was dropped as tx_no_buffer.
TEST_P(SocketBackendTest, FansOutABacklogWithFewSendSlotsWithoutDropping) {
  BackendConfig config = Config();
  config.uring.tx_slots = kBurstSize;
  auto backend = Create(config);
  ASSERT_TRUE(backend);
  UdpPeer publisher(*Endpoint::Parse("127.0.0.1:0"));
  ASSERT_TRUE(publisher.ok());
  std::vector<std::unique_ptr<UdpPeer>> subscribers;
  for (int s = 0; s < 4; ++s) {
    subscribers.push_back(std::make_unique<UdpPeer>(*Endpoint::Parse("127.0.0.1:0")));
    ASSERT_TRUE(subscribers.back()->ok());
  }
  // All of it queued before the first Receive: 4 bursts' worth.
  constexpr int kPackets = 4 * kBurstSize;
  for (int i = 0; i < kPackets; ++i) {
    ASSERT_TRUE(publisher.SendTo(backend->local_endpoint(),
                                 Bytes("hdr-padding-" + std::to_string(1000 + i))));
  }

  const std::vector<uint8_t> header = Bytes("HEADER:");
  int forwarded = 0;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (forwarded < kPackets && std::chrono::steady_clock::now() < deadline) {
    Packet* burst[kBurstSize];
    const uint16_t got = backend->Receive(0, burst);
    std::vector<OutPacket> outputs;
    for (uint16_t p = 0; p < got; ++p) {
      for (const auto& subscriber : subscribers) {
        outputs.push_back(OutPacket::WithSharedPayload(subscriber->endpoint(), header, *burst[p],
                                                       /*payload_offset=*/12));
      }
    }
    EXPECT_EQ(backend->Send(0, outputs), outputs.size());
    backend->Free(0, {burst, got});
    backend->Flush(0);
    forwarded += got;
    if (got == 0) backend->Wait(0, 50ms);
  }
  ASSERT_EQ(forwarded, kPackets);

  for (size_t s = 0; s < subscribers.size(); ++s) {
    std::set<std::string> seen;
    while (seen.size() < static_cast<size_t>(kPackets)) {
      std::optional<Datagram> datagram = subscribers[s]->Receive();
      ASSERT_TRUE(datagram) << "subscriber " << s << " after " << seen.size();
      seen.insert(std::string(datagram->bytes.begin(), datagram->bytes.end()));
    }
    EXPECT_EQ(*seen.begin(), "HEADER:1000");
    EXPECT_EQ(*seen.rbegin(), "HEADER:" + std::to_string(1000 + kPackets - 1));
  }
  backend->Flush(0);
  const IoStats stats = backend->Stats(0);
  EXPECT_EQ(stats.tx_packets, 4u * kPackets);
  EXPECT_EQ(stats.drop(DropReason::kTxNoBuffer), 0u);
  EXPECT_EQ(stats.total_drops(), 0u);
}

TEST_P(SocketBackendTest, SendsContiguousPackets) {
  auto backend = Create(Config());
  ASSERT_TRUE(backend);
  UdpPeer peer(*Endpoint::Parse("127.0.0.1:0"));
  ASSERT_TRUE(peer.ok());
  const std::vector<uint8_t> rtcp = Bytes("locally built RTCP, SRTP-protected elsewhere");
  const OutPacket out = OutPacket::Contiguous(peer.endpoint(), rtcp);
  EXPECT_EQ(backend->Send(0, {&out, 1}), 1);
  backend->Flush(0);
  std::optional<Datagram> datagram = peer.Receive();
  ASSERT_TRUE(datagram);
  EXPECT_EQ(datagram->bytes, rtcp);
}

TEST_P(SocketBackendTest, CountsTruncatedDatagrams) {
  BackendConfig config = Config();
  config.buffer_size = 256;
  config.headroom = 128;  // 128 bytes of payload room
  auto backend = Create(config);
  ASSERT_TRUE(backend);
  UdpPeer peer(*Endpoint::Parse("127.0.0.1:0"));
  ASSERT_TRUE(peer.ok());
  ASSERT_TRUE(peer.SendTo(backend->local_endpoint(), std::vector<uint8_t>(129, 1)));
  ASSERT_TRUE(peer.SendTo(backend->local_endpoint(), std::vector<uint8_t>(128, 2)));
  // Loopback keeps order: once the second arrived, the first was seen and dropped.
  std::vector<Packet*> packets = ReceiveCount(*backend, 0, 1);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0]->length, 128u);
  EXPECT_EQ(packets[0]->data[0], 2);
  EXPECT_EQ(backend->Stats(0).drop(DropReason::kRxTruncated), 1u);
  EXPECT_EQ(backend->Stats(0).rx_packets, 1u);
  backend->Free(0, packets);
}

TEST_P(SocketBackendTest, WorksOverIpv6) {
  auto backend = Create(Config("[::1]:0"));
  ASSERT_TRUE(backend);
  UdpPeer peer(*Endpoint::Parse("[::1]:0"));
  ASSERT_TRUE(peer.ok());
  ASSERT_TRUE(peer.SendTo(backend->local_endpoint(), Bytes("v6 hello")));
  std::vector<Packet*> packets = ReceiveCount(*backend, 0, 1);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(Text(*packets[0]), "v6 hello");
  EXPECT_EQ(packets[0]->source, peer.endpoint());
  EXPECT_EQ(packets[0]->destination, backend->local_endpoint());
  EXPECT_TRUE(packets[0]->source.address.is_v6());

  const std::vector<uint8_t> header = Bytes("hdr:");
  const OutPacket out = OutPacket::WithSharedPayload(peer.endpoint(), header, *packets[0], 3);
  EXPECT_EQ(backend->Send(0, {&out, 1}), 1);
  backend->Flush(0);
  backend->Free(0, packets);
  std::optional<Datagram> datagram = peer.Receive();
  ASSERT_TRUE(datagram);
  EXPECT_EQ(datagram->bytes, Bytes("hdr:hello"));
  EXPECT_EQ(datagram->source, backend->local_endpoint());
}

TEST_P(SocketBackendTest, CountsDestinationsOfTheWrongFamily) {
  auto backend = Create(Config());
  ASSERT_TRUE(backend);
  const std::vector<uint8_t> bytes = Bytes("x");
  const OutPacket out = OutPacket::Contiguous(*Endpoint::Parse("[::1]:9"), bytes);
  EXPECT_EQ(backend->Send(0, {&out, 1}), 0);
  backend->Flush(0);
  EXPECT_EQ(backend->Stats(0).drop(DropReason::kTxNoRoute), 1u);
}

TEST_P(SocketBackendTest, ReusePortSpreadsFlowsOverQueuesAndDeliversEachPacketOnce) {
  auto backend = Create(Config("127.0.0.1:0", 2));
  ASSERT_TRUE(backend);
  ASSERT_EQ(backend->queue_count(), 2);
  constexpr int kPeers = 32;
  constexpr int kPerPeer = 4;
  std::vector<std::unique_ptr<UdpPeer>> peers;
  for (int p = 0; p < kPeers; ++p) {
    peers.push_back(std::make_unique<UdpPeer>(*Endpoint::Parse("127.0.0.1:0")));
    ASSERT_TRUE(peers.back()->ok());
    for (int i = 0; i < kPerPeer; ++i) {
      ASSERT_TRUE(peers.back()->SendTo(backend->local_endpoint(),
                                       Bytes(std::to_string(p) + "/" + std::to_string(i))));
    }
  }

  std::multiset<std::string> seen;
  std::map<uint16_t, std::set<uint16_t>> queues_of_flow;  // peer port -> queues
  size_t per_queue[2] = {0, 0};
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  Packet* burst[kBurstSize];
  while (seen.size() < kPeers * kPerPeer && std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    for (uint16_t queue = 0; queue < 2; ++queue) {
      const uint16_t got = backend->Receive(queue, burst);
      for (uint16_t i = 0; i < got; ++i) {
        seen.insert(Text(*burst[i]));
        queues_of_flow[burst[i]->source.port].insert(queue);
        EXPECT_EQ(burst[i]->queue, queue);
      }
      per_queue[queue] += got;
      any |= got > 0;
      backend->Free(queue, {burst, got});
    }
    if (!any) backend->Wait(0, 5ms);
  }
  ASSERT_EQ(seen.size(), static_cast<size_t>(kPeers * kPerPeer));
  for (int p = 0; p < kPeers; ++p) {
    for (int i = 0; i < kPerPeer; ++i) {
      EXPECT_EQ(seen.count(std::to_string(p) + "/" + std::to_string(i)), 1u);
    }
  }
  // The kernel hashes each flow to one socket; with 32 flows both queues get some (a false
  // failure has probability 2^-31).
  for (const auto& [port, queues] : queues_of_flow) EXPECT_EQ(queues.size(), 1u) << port;
  EXPECT_GT(per_queue[0], 0u);
  EXPECT_GT(per_queue[1], 0u);
  EXPECT_EQ(backend->TotalStats().rx_packets, static_cast<uint64_t>(kPeers * kPerPeer));
}

TEST_P(SocketBackendTest, RecoversWhenThePoolRunsDry) {
  BackendConfig config = Config();
  config.packets_per_queue = 32;
  config.uring.rx_preposted = 32;
  auto backend = Create(config);
  ASSERT_TRUE(backend);
  UdpPeer peer(*Endpoint::Parse("127.0.0.1:0"));
  ASSERT_TRUE(peer.ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(peer.SendTo(backend->local_endpoint(), Bytes("p" + std::to_string(i))));
  }
  std::vector<Packet*> held = ReceiveCount(*backend, 0, 32);
  ASSERT_EQ(held.size(), 32u);
  // Every packet is held: nothing more can come in.
  Packet* burst[kBurstSize];
  backend->Wait(0, 20ms);
  EXPECT_EQ(backend->Receive(0, burst), 0);
  EXPECT_GE(backend->Stats(0).drop(DropReason::kRxNoBuffer), 1u);

  std::set<std::string> seen;
  for (Packet* packet : held) seen.insert(Text(*packet));
  backend->Free(0, held);
  std::vector<Packet*> rest = ReceiveCount(*backend, 0, 8);
  ASSERT_EQ(rest.size(), 8u);
  for (Packet* packet : rest) seen.insert(Text(*packet));
  EXPECT_EQ(seen.size(), 40u);
  backend->Free(0, rest);
}

TEST_P(SocketBackendTest, WakeInterruptsWait) {
  auto backend = Create(Config());
  ASSERT_TRUE(backend);
  EXPECT_FALSE(backend->Wait(0, 20ms));  // idle: times out

  const auto start = std::chrono::steady_clock::now();
  bool woke = false;
  std::thread worker([&] { woke = backend->Wait(0, 10s); });
  backend->Wake(0);
  worker.join();
  EXPECT_TRUE(woke);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // The wake was consumed: the next idle Wait times out again.
  Packet* burst[kBurstSize];
  backend->Receive(0, burst);
  EXPECT_FALSE(backend->Wait(0, 20ms));
}

INSTANTIATE_TEST_SUITE_P(Backends, SocketBackendTest,
                         ::testing::Values(Variant{"posix", BackendKind::kPosix,
                                                   UringConfig::RxMode::kAuto},
                                           Variant{"uring_multishot", BackendKind::kUring,
                                                   UringConfig::RxMode::kMultishot},
                                           Variant{"uring_preposted", BackendKind::kUring,
                                                   UringConfig::RxMode::kPreposted}),
                         [](const ::testing::TestParamInfo<Variant>& param_info) {
                           return std::string(param_info.param.name);
                         });

// A process where io_uring_setup fails with EPERM, as under Docker's default seccomp profile or
// kernel.io_uring_disabled=2, gets a message it can print as is.
void CreateUringUnderSeccompAndExit() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    std::fprintf(stderr, "could not install the seccomp filter\n");
    std::exit(2);
  }
  BackendConfig config;
  config.kind = BackendKind::kUring;
  config.local = *Endpoint::Parse("127.0.0.1:0");
  BackendResult result = CreatePacketBackend(config);
  std::fprintf(stderr, "%s\n", result.error.c_str());
  std::exit(result ? 1 : 0);
}

TEST(UringBackendTest, SaysIoUringIsUnavailableWhenTheKernelRefusesIt) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(CreateUringUnderSeccompAndExit(), ::testing::ExitedWithCode(0),
              "io_uring unavailable \\(io_uring_queue_init: Operation not permitted\\); use "
              "backend=posix");
}

// In a child: io_uring_register(IORING_REGISTER_FILES) refused by a seccomp filter, everything
// else allowed. The backend must fall back to plain descriptors and still receive and fan out.
// Exits 0 when it did.
void ForwardWithoutRegisteredFilesAndExit() {
  constexpr uint32_t kArgument1 = offsetof(seccomp_data, args) + sizeof(uint64_t);  // low half
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgument1),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IORING_REGISTER_FILES, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    std::fprintf(stderr, "could not install the seccomp filter\n");
    std::exit(2);
  }
  // The filter is in force: the registration fails with EPERM (EBADF without it).
  if (syscall(__NR_io_uring_register, -1, IORING_REGISTER_FILES, nullptr, 0) != -1 ||
      errno != EPERM) {
    std::fprintf(stderr, "the filter does not refuse IORING_REGISTER_FILES\n");
    std::exit(3);
  }
  BackendConfig config;
  config.kind = BackendKind::kUring;
  config.uring.rx_mode = UringConfig::RxMode::kMultishot;
  config.local = *Endpoint::Parse("127.0.0.1:0");
  config.packets_per_queue = 256;
  BackendResult result = CreatePacketBackend(config);
  if (!result) {
    std::fprintf(stderr, "%s\n", result.error.c_str());
    std::exit(4);
  }
  PacketBackend& backend = *result.backend;
  UdpPeer publisher(*Endpoint::Parse("127.0.0.1:0"));
  UdpPeer subscriber(*Endpoint::Parse("127.0.0.1:0"));
  if (!publisher.ok() || !subscriber.ok() ||
      !publisher.SendTo(backend.local_endpoint(), Bytes("0123456789abpayload"))) {
    std::exit(5);
  }
  Packet* burst[kBurstSize];
  uint16_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (got == 0 && std::chrono::steady_clock::now() < deadline) {
    got = backend.Receive(0, burst);
    if (got == 0) backend.Wait(0, 50ms);
  }
  if (got != 1) {
    std::fprintf(stderr, "received %u packets\n", got);
    std::exit(6);
  }
  const std::vector<uint8_t> header = Bytes("HEADER:");
  const OutPacket out = OutPacket::WithSharedPayload(subscriber.endpoint(), header, *burst[0], 12);
  const uint16_t accepted = backend.Send(0, {&out, 1});
  backend.Free(0, {burst, got});
  backend.Flush(0);
  const std::optional<Datagram> datagram = subscriber.Receive();
  if (accepted != 1 || !datagram || datagram->bytes != Bytes("HEADER:payload")) {
    std::fprintf(stderr, "the fan-out did not arrive (accepted %u)\n", accepted);
    std::exit(7);
  }
  std::fprintf(stderr, "forwarded without registered files\n");
  std::exit(0);
}

TEST(UringBackendTest, FallsBackToPlainDescriptorsWhenFileRegistrationIsRefused) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(ForwardWithoutRegisteredFilesAndExit(), ::testing::ExitedWithCode(0),
              "forwarded without registered files");
}

}  // namespace
}  // namespace mgw::io
