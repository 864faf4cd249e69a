// dataplane.idle_poll_us: a worker keeps polling its queue for that long after its last packet
// before it sleeps in the backend's Wait. A real posix backend on loopback carries the packets;
// the wrapper below only counts the worker's calls into it. Time is a manual clock.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "mgw/dataplane/worker.h"
#include "mgw/io/backend_factory.h"

namespace mgw::dataplane {
namespace {

// Forwards every call to the real backend and counts Receive, Wait and received packets.
class CountingBackend final : public io::PacketBackend {
 public:
  explicit CountingBackend(io::PacketBackend& real) : real_(real) {}
  std::string_view name() const override { return real_.name(); }
  uint16_t queue_count() const override { return real_.queue_count(); }
  io::Endpoint local_endpoint() const override { return real_.local_endpoint(); }
  uint16_t Receive(uint16_t queue, std::span<io::Packet*> out) override {
    const uint16_t n = real_.Receive(queue, out);
    received.fetch_add(n);
    receives.fetch_add(1);
    return n;
  }
  uint16_t Send(uint16_t queue, std::span<const io::OutPacket> packets) override {
    return real_.Send(queue, packets);
  }
  void Flush(uint16_t queue) override { real_.Flush(queue); }
  void Free(uint16_t queue, std::span<io::Packet* const> packets) override {
    real_.Free(queue, packets);
  }
  bool Wait(uint16_t queue, std::chrono::milliseconds timeout) override {
    waits.fetch_add(1);
    return real_.Wait(queue, timeout);
  }
  void Wake(uint16_t queue) override { real_.Wake(queue); }
  io::IoStats Stats(uint16_t queue) const override { return real_.Stats(queue); }

  std::atomic<uint64_t> receives{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> waits{0};

 private:
  io::PacketBackend& real_;
};

// Spins (yielding) until `done` holds; fails the test after 20 s of wall time.
void Await(const std::function<bool()>& done, const char* what) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    ASSERT_LT(std::chrono::steady_clock::now(), limit) << "timed out waiting for " << what;
    std::this_thread::yield();
  }
}

class WorkerIdlePollTest : public ::testing::Test {
 protected:
  void SetUp() override {
    io::BackendConfig config;
    config.kind = io::BackendKind::kPosix;
    config.local = *io::Endpoint::Parse("127.0.0.1:0");
    config.packets_per_queue = 64;
    io::BackendResult created = io::CreatePacketBackend(config);
    ASSERT_TRUE(created) << created.error;
    real_ = std::move(created.backend);
    counting_ = std::make_unique<CountingBackend>(*real_);
    dp::ForwarderConfig forwarder;
    forwarder.max_participants = 16;
    forwarder.max_streams = 32;
    forwarder.max_ssrcs = 128;
    forwarder.max_legs = 64;
    worker_ = std::make_unique<Worker>(0, *counting_, forwarder, [this] { return now_.load(); });
  }
  void TearDown() override { worker_.reset(); }

  // One datagram to the backend's port; the forwarder drops it (nobody publishes it), but the
  // worker received it.
  void SendDatagram() {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(counting_->local_endpoint().port);
    const uint8_t rtp[12] = {0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 42};
    ASSERT_EQ(sendto(fd, rtp, sizeof rtp, 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(sizeof rtp));
    close(fd);
  }

  std::atomic<uint64_t> now_{1'000'000};
  std::unique_ptr<io::PacketBackend> real_;
  std::unique_ptr<CountingBackend> counting_;
  std::unique_ptr<Worker> worker_;
};

TEST_F(WorkerIdlePollTest, PollsUntilTheIdlePeriodEndsThenSleeps) {
  worker_->SetIdlePoll(std::chrono::microseconds(500));
  worker_->Start();
  // The clock stands still inside the idle period: thousands of polls, no sleep.
  Await([&] { return counting_->receives.load() >= 5000; }, "5,000 polls");
  EXPECT_EQ(counting_->waits.load(), 0u);

  now_ += 500;  // the period is over: the worker sleeps (each Wait ends after 2 ms)
  Await([&] { return counting_->waits.load() >= 2; }, "the worker to sleep");

  // A packet starts a new idle period at the clock's time: polling again, no sleep.
  SendDatagram();
  Await([&] { return counting_->received.load() == 1; }, "the datagram");
  const uint64_t waits = counting_->waits.load();
  const uint64_t receives = counting_->receives.load();
  Await([&] { return counting_->receives.load() >= receives + 5000; }, "5,000 more polls");
  EXPECT_EQ(counting_->waits.load(), waits);

  now_ += 499;
  const uint64_t later = counting_->receives.load();
  Await([&] { return counting_->receives.load() >= later + 5000; }, "polls 499 us on");
  EXPECT_EQ(counting_->waits.load(), waits);
  now_ += 1;
  Await([&] { return counting_->waits.load() >= waits + 2; }, "the worker to sleep again");
}

TEST_F(WorkerIdlePollTest, ZeroSleepsAsSoonAsALoopFindsNothing) {
  worker_->Start();  // idle_poll_us = 0, the default
  Await([&] { return counting_->waits.load() >= 3; }, "the worker to sleep");
  // Every empty loop sleeps: (almost) one Wait per Receive, never thousands of polls.
  const uint64_t receives = counting_->receives.load();
  EXPECT_LE(receives, counting_->waits.load() + 2);
}

}  // namespace
}  // namespace mgw::dataplane
