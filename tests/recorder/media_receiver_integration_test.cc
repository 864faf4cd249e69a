// MediaReceiver on real UDP sockets over loopback: every datagram arrives intact and in order,
// batched (far fewer drains than datagrams), and with a batch period the receiving thread is not
// woken per datagram (voluntary context switches counted with getrusage(RUSAGE_THREAD)).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <thread>
#include <vector>

#include "mgw/rec/media_receiver.h"

namespace mgw::rec {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using namespace std::chrono_literals;

struct Harness {
  explicit Harness(std::chrono::milliseconds batch)
      : receiver(io, batch, [this](std::span<uint8_t> datagram) {
          received.emplace_back(datagram.begin(), datagram.end());
        }) {
    udp::socket& socket = receiver.socket();
    socket.open(udp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(MediaReceiver::kReceiveBufferBytes));
    socket.bind(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    target = socket.local_endpoint();
    sender.open(udp::v4());
  }

  void Send(uint32_t index, size_t size) {
    std::vector<uint8_t> datagram(size, static_cast<uint8_t>(index));
    std::memcpy(datagram.data(), &index, sizeof(index));
    sender.send_to(asio::buffer(datagram), target);
  }

  // Runs the loop until `count` datagrams arrived or 5 s passed.
  void RunUntil(size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (received.size() < count && std::chrono::steady_clock::now() < deadline) {
      io.run_for(20ms);
    }
  }

  asio::io_context io;
  std::vector<std::vector<uint8_t>> received;
  MediaReceiver receiver;
  asio::io_context sender_io;  // never run: the sender only sends synchronously
  udp::socket sender{sender_io};
  udp::endpoint target;
};

void ExpectInOrder(const std::vector<std::vector<uint8_t>>& received, size_t count) {
  ASSERT_EQ(received.size(), count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t index = 0;
    ASSERT_GE(received[i].size(), sizeof(index));
    std::memcpy(&index, received[i].data(), sizeof(index));
    EXPECT_EQ(index, i);
    EXPECT_EQ(received[i].size(), 100 + i % 1100);
    EXPECT_EQ(received[i].back(), static_cast<uint8_t>(i));
  }
}

TEST(MediaReceiver, TimedBatchesDeliverEveryDatagramInOrder) {
  Harness h(10ms);
  h.receiver.Start();
  constexpr uint32_t kCount = 500;
  for (uint32_t i = 0; i < kCount; ++i) h.Send(i, 100 + i % 1100);
  h.RunUntil(kCount);
  ExpectInOrder(h.received, kCount);
  EXPECT_EQ(h.receiver.datagrams(), kCount);
  // Sent before the first 10 ms tick (or over a few): drained in bursts of up to 64.
  EXPECT_LT(h.receiver.wakeups() * 4, h.receiver.datagrams());
}

TEST(MediaReceiver, ZeroBatchDrainsOnReadability) {
  Harness h(0ms);
  h.receiver.Start();
  constexpr uint32_t kCount = 300;
  for (uint32_t i = 0; i < kCount; ++i) h.Send(i, 100 + i % 1100);
  h.RunUntil(kCount);
  ExpectInOrder(h.received, kCount);
}

// The reason the receiver owns its socket: a socket registered with the running io_context
// would wake its epoll_wait once per datagram even with no receive pending.
TEST(MediaReceiver, PacedDatagramsDoNotWakeTheLoopEach) {
  Harness h(20ms);
  h.receiver.Start();
  constexpr uint32_t kCount = 400;
  std::thread sender([&h] {
    for (uint32_t i = 0; i < kCount; ++i) {
      h.Send(i, 100 + i % 1100);
      std::this_thread::sleep_for(500us);  // pacing the traffic, not synchronisation
    }
  });
  rusage before{};
  getrusage(RUSAGE_THREAD, &before);
  h.RunUntil(kCount);
  rusage after{};
  getrusage(RUSAGE_THREAD, &after);
  sender.join();
  ExpectInOrder(h.received, kCount);
  // About one sleep per 20 ms tick over >= 200 ms of sending (plus the 20 ms run_for slices):
  // tens, not one per datagram (about 400 when the loop's epoll set holds the socket).
  const long switches = after.ru_nvcsw - before.ru_nvcsw;
  EXPECT_LT(switches, static_cast<long>(kCount) / 3) << "voluntary context switches: " << switches;
}

TEST(MediaReceiver, NothingIsDeliveredAfterStop) {
  Harness h(10ms);
  h.receiver.Start();
  h.Send(0, 100);
  h.RunUntil(1);
  ASSERT_EQ(h.received.size(), 1u);
  h.receiver.Stop();
  h.Send(1, 101);
  h.io.restart();
  h.io.run_for(50ms);  // bounded: there is nothing that could complete
  EXPECT_EQ(h.received.size(), 1u);
}

}  // namespace
}  // namespace mgw::rec
