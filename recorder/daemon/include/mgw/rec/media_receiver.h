#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace mgw::rec {

// The recorder's UDP receive loop, shared by MeetingRecorder and the benchmark's
// mgw-recorder-pipe. A recorder does not need low latency (the jitter buffer holds packets for
// longer anyway), so instead of one wake-up per datagram it wakes every `batch` on a timer and
// drains the socket with recvmmsg into buffers it reuses: at 50 feeds that is one wake-up per
// ~80 datagrams instead of one each. The socket's receive buffer must hold `batch` of the worst
// case (the caller sets SO_RCVBUF; kReceiveBufferBytes is enough up to the 100 ms maximum).
// `batch` zero: wait for readability and drain then (a wake-up per burst, for tests that want
// minimal delay). Timers and handlers run on `loop`, on the thread that runs it.
//
// The receiver owns the socket because of where it is registered: asio registers every socket
// with its io_context's epoll set (edge-triggered, EPOLLIN) when it is opened, so a thread in
// that epoll_wait is woken by every arriving datagram even when no receive is pending, and
// draining on a timer alone saves nothing. With `batch` > 0 the socket therefore belongs to a
// private io_context that is never run: the datagrams wake nobody. Synchronous operations on it
// (open, bind, set_option, send_to, close) work as usual.
class MediaReceiver {
 public:
  // Datagrams are passed as a mutable view of a reused buffer, valid only during the call (so a
  // handler may SRTP-unprotect in place).
  using Handler = std::function<void(std::span<uint8_t> datagram)>;
  static constexpr int kReceiveBufferBytes = 4 << 20;
  static constexpr std::chrono::milliseconds kMaxBatch{100};

  MediaReceiver(boost::asio::io_context& loop, std::chrono::milliseconds batch, Handler handler);
  MediaReceiver(const MediaReceiver&) = delete;
  MediaReceiver& operator=(const MediaReceiver&) = delete;

  // Not yet open: the caller opens, configures and binds it, and may send on it.
  boost::asio::ip::udp::socket& socket() { return socket_; }

  // Starts receiving (the socket must be open); Stop() cancels the timer or wait. Stop() before
  // the socket is closed; no handler runs after Stop().
  void Start();
  void Stop();

  uint64_t datagrams() const { return datagrams_; }
  uint64_t wakeups() const { return wakeups_; }

 private:
  static constexpr unsigned kBurst = 64;
  static constexpr std::size_t kMaxDatagram = 2048;
  // A drain that found this many datagrams (keyframes of many feeds arriving together) is
  // followed by another after kBusyPeriod, not a whole batch, so that a burst does not overflow
  // the socket's buffer.
  static constexpr std::size_t kBusyDrain = 4 * kBurst;
  static constexpr std::chrono::milliseconds kBusyPeriod{1};

  void ArmTimer(bool busy);
  void WaitReadable();
  size_t Drain();  // datagrams read

  boost::asio::io_context unpolled_;  // never run; see the class comment
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer timer_;
  const std::chrono::milliseconds batch_;
  Handler handler_;
  std::chrono::steady_clock::time_point next_wake_{};
  bool running_ = false;
  uint64_t datagrams_ = 0;
  uint64_t wakeups_ = 0;
  std::array<std::array<uint8_t, kMaxDatagram>, kBurst> buffers_{};
};

}  // namespace mgw::rec
