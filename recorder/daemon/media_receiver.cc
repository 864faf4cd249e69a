#include "mgw/rec/media_receiver.h"

#include <sys/socket.h>

#include <boost/system/error_code.hpp>
#include <utility>

namespace mgw::rec {

MediaReceiver::MediaReceiver(boost::asio::io_context& loop, std::chrono::milliseconds batch,
                             Handler handler)
    : socket_(batch.count() > 0 ? unpolled_ : loop),
      timer_(loop),
      batch_(batch),
      handler_(std::move(handler)) {}

void MediaReceiver::Start() {
  running_ = true;
  if (batch_.count() > 0) {
    next_wake_ = std::chrono::steady_clock::now();
    ArmTimer(false);
  } else {
    WaitReadable();
  }
}

void MediaReceiver::Stop() {
  running_ = false;
  timer_.cancel();
  if (batch_.count() == 0) {
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }
}

void MediaReceiver::ArmTimer(bool busy) {
  // Fixed period from the previous deadline, not from now: the drain's own time does not stretch
  // the period. After a stall (debugger, overload) it restarts from now instead of catching up.
  const auto now = std::chrono::steady_clock::now();
  next_wake_ += busy ? kBusyPeriod : batch_;
  if (next_wake_ < now) next_wake_ = now + (busy ? kBusyPeriod : batch_);
  timer_.expires_at(next_wake_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !running_) return;
    const size_t drained = Drain();
    if (running_) ArmTimer(drained >= kBusyDrain);
  });
}

void MediaReceiver::WaitReadable() {
  socket_.async_wait(boost::asio::ip::udp::socket::wait_read, [this](boost::system::error_code ec) {
    if (ec || !running_) return;
    Drain();
    if (running_) WaitReadable();
  });
}

size_t MediaReceiver::Drain() {
  ++wakeups_;
  size_t drained = 0;
  std::array<mmsghdr, kBurst> messages{};
  std::array<iovec, kBurst> iovs{};
  for (unsigned i = 0; i < kBurst; ++i) {
    iovs[i] = {buffers_[i].data(), buffers_[i].size()};
    messages[i].msg_hdr.msg_iov = &iovs[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  while (running_) {
    const int n = recvmmsg(socket_.native_handle(), messages.data(), kBurst, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;  // EAGAIN: drained (errors such as ECONNREFUSED are not ours to act on)
    for (int i = 0; i < n && running_; ++i) {
      ++datagrams_;
      ++drained;
      handler_(std::span(buffers_[i].data(), messages[i].msg_len));
    }
    if (n < static_cast<int>(kBurst)) break;
  }
  return drained;
}

}  // namespace mgw::rec
