#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "mgw/dp/forwarder.h"
#include "mgw/io/packet_backend.h"

namespace mgw::dataplane {

// Monotonic microseconds; injected so that tests can drive time.
using MonotonicClock = std::function<uint64_t()>;
uint64_t SteadyClockMicros();

// Counts down as workers finish a broadcast command; the control thread waits on it.
class Completion {
 public:
  explicit Completion(size_t count) : remaining_(count) {}
  void Done();
  // False when `timeout` passed first (a wedged worker: the caller reports an internal error).
  bool Wait(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t remaining_;
};

// One forwarding worker: a thread that owns one backend queue and its own Forwarder (tables,
// caches, counters), touched by no other thread. Configuration arrives as commands, run on the
// worker's thread between two bursts; the packet loop checks for them with one atomic load and
// takes the queue's lock only when some are pending.
class Worker {
 public:
  using Command = std::function<void(dp::Forwarder&)>;

  Worker(uint16_t queue, io::PacketBackend& backend, const dp::ForwarderConfig& config,
         MonotonicClock clock);
  ~Worker();  // stops
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread (named "mgw-worker-<queue>"), pinned to `cpu` when given. Throws
  // std::system_error when the pinning fails, having stopped the thread again.
  void Start(std::optional<int> cpu = std::nullopt);
  void Stop();

  // Runs `command` between two bursts, then calls done->Done(). Exceptions thrown by the
  // command are a program error here: the control thread validates changes first.
  void Post(Command command, std::shared_ptr<Completion> done);

  // Called on the worker's thread after a burst in which it latched or moved a participant's
  // address, so that the other workers (whose tables are separate) can learn it. Set before
  // Start; it must not block.
  void SetAddressListener(std::function<void()> listener) {
    address_listener_ = std::move(listener);
  }

  // How long an idle worker keeps polling its queue before it sleeps in the backend's Wait
  // (dataplane.idle_poll_us; Seastar's idle-poll-time-us). Polling spares the packet that ends
  // the idle period a thread wake-up (tens of microseconds on a VM) at the price of a busy core
  // while traffic is sparse; 0 sleeps as soon as a loop finds nothing. dpdk never sleeps. Set
  // before Start.
  void SetIdlePoll(std::chrono::microseconds idle_poll) {
    idle_poll_us_ = static_cast<uint64_t>(idle_poll.count());
  }

  uint16_t queue() const { return queue_; }

 private:
  struct Pending {
    Command command;
    std::shared_ptr<Completion> done;
  };
  void Loop();
  void RunCommands();
  // Hands the batch's outputs to the backend; returns how many.
  size_t Transmit(const dp::OutputBatch& batch, std::span<io::Packet* const> received,
                  std::span<io::OutPacket> transmit);

  const uint16_t queue_;
  io::PacketBackend& backend_;
  MonotonicClock clock_;
  dp::Forwarder forwarder_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> has_commands_{false};
  std::function<void()> address_listener_;
  uint64_t addresses_learned_ = 0;  // latched + moved, as last reported
  uint64_t idle_poll_us_ = 0;
  std::mutex commands_mutex_;
  std::vector<Pending> commands_;
};

}  // namespace mgw::dataplane
