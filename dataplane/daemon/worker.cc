#include "mgw/dataplane/worker.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>

#include "mgw/dataplane/endpoint_convert.h"

namespace mgw::dataplane {
namespace {

// Outputs one burst can produce: 32 packets to up to 50 legs each, plus RTCP and timer work.
constexpr size_t kMaxOutputs = 4096;
// Head bytes for those outputs: rewritten headers are small, but SRTP-protected and locally
// built packets are whole datagrams.
constexpr size_t kArenaBytes = 8 << 20;
constexpr uint64_t kPollIntervalUs = 2000;
constexpr auto kIdleWait = std::chrono::milliseconds(2);

}  // namespace

uint64_t SteadyClockMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void Completion::Done() {
  std::lock_guard lock(mutex_);
  if (remaining_ > 0 && --remaining_ == 0) cv_.notify_all();
}

bool Completion::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return remaining_ == 0; });
}

Worker::Worker(uint16_t queue, io::PacketBackend& backend, const dp::ForwarderConfig& config,
               MonotonicClock clock)
    : queue_(queue), backend_(backend), clock_(std::move(clock)), forwarder_(config) {}

Worker::~Worker() { Stop(); }

void Worker::Start(std::optional<int> cpu) {
  thread_ = std::thread([this] { Loop(); });
  const std::string name = fmt::format("mgw-worker-{}", queue_);
  pthread_setname_np(thread_.native_handle(), name.substr(0, 15).c_str());
  if (!cpu) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(*cpu, &set);
  if (const int error = pthread_setaffinity_np(thread_.native_handle(), sizeof(set), &set);
      error != 0) {
    Stop();
    throw std::system_error(error, std::generic_category(),
                            fmt::format("pinning worker {} to CPU {}", queue_, *cpu));
  }
  spdlog::info("worker {} pinned to CPU {}", queue_, *cpu);
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true, std::memory_order_relaxed);
  backend_.Wake(queue_);
  thread_.join();
}

void Worker::Post(Command command, std::shared_ptr<Completion> done) {
  {
    std::lock_guard lock(commands_mutex_);
    commands_.push_back({std::move(command), std::move(done)});
  }
  has_commands_.store(true, std::memory_order_release);
  backend_.Wake(queue_);
}

void Worker::RunCommands() {
  std::vector<Pending> batch;
  {
    std::lock_guard lock(commands_mutex_);
    batch.swap(commands_);
    has_commands_.store(false, std::memory_order_relaxed);
  }
  for (Pending& pending : batch) {
    try {
      pending.command(forwarder_);
    } catch (const std::exception& e) {
      // The control thread applied the same change to its own replica first, so this means the
      // worker's tables diverged: a bug worth stopping for rather than forwarding wrongly.
      spdlog::critical("worker {}: a validated command failed: {}", queue_, e.what());
      std::abort();
    }
    pending.done->Done();
  }
}

size_t Worker::Transmit(const dp::OutputBatch& batch, std::span<io::Packet* const> received,
                        std::span<io::OutPacket> transmit) {
  size_t count = 0;
  for (const dp::OutputPacket& out : batch.packets()) {
    io::Endpoint destination = ToIo(out.destination);
    if (out.tail.empty() || out.input == dp::kNoInput) {
      transmit[count++] = io::OutPacket::Contiguous(destination, out.head);
    } else {
      const io::Packet& payload = *received[out.input];
      auto offset = static_cast<uint32_t>(out.tail.data() - payload.data);
      transmit[count] = io::OutPacket::WithSharedPayload(destination, out.head, payload, offset);
      transmit[count++].payload_length = static_cast<uint32_t>(out.tail.size());
    }
  }
  if (count > 0) backend_.Send(queue_, transmit.first(count));
  return count;
}

void Worker::Loop() {
  backend_.AttachWorker(queue_);
  std::array<io::Packet*, io::kBurstSize> received{};
  std::array<dp::IngressPacket, io::kBurstSize> ingress{};
  std::vector<dp::OutputPacket> slots(kMaxOutputs);
  std::vector<uint8_t> arena(kArenaBytes);
  std::vector<io::OutPacket> transmit(kMaxOutputs);
  dp::OutputBatch batch(slots, arena);
  uint64_t next_poll = 0;
  uint64_t last_busy = clock_();

  while (!stop_.load(std::memory_order_relaxed)) {
    if (has_commands_.load(std::memory_order_acquire)) RunCommands();

    uint16_t n = backend_.Receive(queue_, received);
    uint64_t now = clock_();
    batch.Clear();
    for (uint16_t i = 0; i < n; ++i) {
      ingress[i] = {{received[i]->data, received[i]->length}, ToDp(received[i]->source)};
    }
    if (n > 0) {
      forwarder_.ProcessBurst({ingress.data(), n}, now, batch);
      const dp::ForwarderCounters& c = forwarder_.counters();
      if (c.addresses_latched + c.addresses_moved != addresses_learned_) {
        addresses_learned_ = c.addresses_latched + c.addresses_moved;
        if (address_listener_) address_listener_();
      }
    }
    if (now >= next_poll) {
      forwarder_.Poll(now, batch);
      next_poll = now + kPollIntervalUs;
    }
    const size_t count = Transmit(batch, received, transmit);
    backend_.Flush(queue_);
    if (n > 0) backend_.Free(queue_, {received.data(), n});
    if (n > 0 || count > 0) {
      last_busy = now;
    } else if (now - last_busy >= idle_poll_us_ && !has_commands_.load(std::memory_order_relaxed)) {
      backend_.Wait(queue_, kIdleWait);
    }
  }
}

}  // namespace mgw::dataplane
