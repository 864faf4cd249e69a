// mgw-recorder-pipe: mgw-recorder's media path on its own, for mgw-recorder-bench. It is what
// MeetingRecorder (recorder/daemon/meeting_recorder.cc) runs once the signalling has told it the
// tracks, without the signalling: one thread, one asio io_context, one UDP socket (4 MiB receive
// buffer, one datagram per async_receive_from, RTP and RTCP multiplexed, RFC 5761), SSRC -> track,
// Recording (jitter buffers, depacketizers, A/V placement) into a MatroskaSink, and a 20 ms timer
// that calls Recording::Poll and checks the stop flag. Participant i has audio SSRC
// ssrc_base + 2i (Opus) and video SSRC ssrc_base + 2i + 1 (VP8), one sync group each.
//
//   mgw-recorder-pipe --port P --participants N --ssrc-base S --out file.mkv --summary s.json
//
// SIGTERM or SIGINT finishes the file (Recording::Finish) and writes the summary: per track the
// frames written and the packets received, lost, duplicated and late.
//
// `--recvmmsg 1` is an experiment, not what mgw-recorder does: wait for the socket to be readable,
// then drain it with recvmmsg (32 at a time) before waiting again, instead of one
// async_receive_from per datagram. mgw-recorder-bench's receiver "mgw-recvmmsg" runs it.
#include <signal.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "mgw/rec/matroska_sink.h"
#include "mgw/rec/media_clock.h"
#include "mgw/rec/recording.h"

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::udp;
using mgw::rec::Codec;
using mgw::rec::MediaClock;
using mgw::rec::Recording;

constexpr auto kPollInterval = std::chrono::milliseconds(20);  // as in MeetingRecorder

uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool IsRtcp(std::span<const uint8_t> packet) {
  return packet.size() >= 8 && packet[1] >= 192 && packet[1] <= 223;
}

struct Args {
  uint16_t port = 0;
  int participants = 1;
  uint32_t ssrc_base = 0x10000000;
  std::string out;
  std::string summary;
  bool recvmmsg = false;
};

bool ParseArgs(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--port") {
      a.port = static_cast<uint16_t>(std::strtoul(value, nullptr, 10));
    } else if (key == "--participants") {
      a.participants = std::atoi(value);
    } else if (key == "--ssrc-base") {
      a.ssrc_base = static_cast<uint32_t>(std::strtoul(value, nullptr, 0));
    } else if (key == "--out") {
      a.out = value;
    } else if (key == "--summary") {
      a.summary = value;
    } else if (key == "--recvmmsg") {
      a.recvmmsg = std::string_view(value) == "1";
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !a.out.empty() && a.participants > 0;
}

class Pipe {
 public:
  explicit Pipe(const Args& args)
      : sink_(mgw::rec::MatroskaSink::Options{.path = args.out}),
        recording_(sink_, MediaClock::now(), Recording::Options{}, nullptr) {
    for (int i = 0; i < args.participants; ++i) {
      const std::string group = "p" + std::to_string(i);
      const uint32_t audio = args.ssrc_base + 2 * static_cast<uint32_t>(i);
      track_of_ssrc_[audio] = recording_.AddTrack({group + " audio", Codec::kOpus, group});
      track_of_ssrc_[audio + 1] = recording_.AddTrack({group + " video", Codec::kVp8, group});
    }
    const udp::endpoint bind_to(asio::ip::make_address("127.0.0.1"), args.port);
    socket_.open(bind_to.protocol());
    socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20));
    socket_.bind(bind_to);
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) stop_ = true;
    });
  }

  bool Run(bool batch) {
    if (batch) {
      socket_.non_blocking(true);
      WaitReadable();
    } else {
      Receive();
    }
    SchedulePoll();
    io_.run();
    return ok_;
  }

  json::object Summary() const {
    const mgw::rec::RecordingSummary s = recording_.Summary();
    json::array tracks;
    for (const mgw::rec::TrackSummary& t : s.tracks) {
      tracks.push_back({{"label", t.label},
                        {"codec", std::string(mgw::rec::NameOf(t.codec))},
                        {"stream", t.stream},
                        {"frames_written", t.frames_written},
                        {"frames_dropped", t.frames_dropped},
                        {"packets_received", t.packets_received},
                        {"packets_lost", t.packets_lost},
                        {"packets_duplicate", t.packets_duplicate},
                        {"packets_late", t.packets_late}});
    }
    return {{"ok", ok_},
            {"error", sink_.error()},
            {"duration_us", s.duration_us},
            {"packets_unknown_ssrc", unknown_ssrc_},
            {"tracks", std::move(tracks)}};
  }

 private:
  void Receive() {
    socket_.async_receive_from(asio::buffer(rx_), from_,
                               [this](boost::system::error_code ec, std::size_t size) {
                                 if (done_) return;
                                 if (!ec) OnDatagram(std::span(rx_.data(), size));
                                 Receive();
                               });
  }

  void WaitReadable() {
    socket_.async_wait(udp::socket::wait_read, [this](boost::system::error_code ec) {
      if (done_) return;
      if (!ec) Drain();
      WaitReadable();
    });
  }

  void Drain() {
    constexpr unsigned kBatch = 32;
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iovs{};
    for (;;) {
      for (unsigned i = 0; i < kBatch; ++i) {
        iovs[i] = {batch_[i].data(), batch_[i].size()};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = recvmmsg(socket_.native_handle(), msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      for (int i = 0; i < n; ++i) OnDatagram(std::span(batch_[i].data(), msgs[i].msg_len));
      if (n < static_cast<int>(kBatch)) return;
    }
  }

  void OnDatagram(std::span<const uint8_t> packet) {
    const mgw::rec::TimePoint now = MediaClock::now();
    if (IsRtcp(packet)) return recording_.OnRtcp(packet, now);
    if (packet.size() < 12 || (packet[0] >> 6) != 2) return;
    auto it = track_of_ssrc_.find(LoadBe32(packet.data() + 8));
    if (it == track_of_ssrc_.end()) {
      ++unknown_ssrc_;
      return;
    }
    recording_.OnRtp(it->second, packet, now);
  }

  void SchedulePoll() {
    timer_.expires_after(kPollInterval);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || done_) return;
      if (stop_) return Finish();
      recording_.Poll(MediaClock::now());
      SchedulePoll();
    });
  }

  void Finish() {
    done_ = true;
    ok_ = recording_.Finish(MediaClock::now());
    boost::system::error_code ignored;
    socket_.close(ignored);
    signals_.cancel();
  }

  asio::io_context io_;
  udp::socket socket_{io_};
  asio::steady_timer timer_{io_};
  asio::signal_set signals_{io_, SIGTERM, SIGINT};
  std::array<uint8_t, 2048> rx_{};
  std::array<std::array<uint8_t, 2048>, 32> batch_{};
  udp::endpoint from_;
  mgw::rec::MatroskaSink sink_;
  Recording recording_;
  std::map<uint32_t, int> track_of_ssrc_;
  uint64_t unknown_ssrc_ = 0;
  bool stop_ = false;
  bool done_ = false;
  bool ok_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) {
    std::cerr << "usage: mgw-recorder-pipe --port P --participants N [--ssrc-base S] --out FILE "
                 "[--summary FILE] [--recvmmsg 1]\n";
    return 2;
  }
  try {
    Pipe pipe(args);
    const bool ok = pipe.Run(args.recvmmsg);
    if (!args.summary.empty()) {
      std::ofstream(args.summary) << json::serialize(pipe.Summary()) << '\n';
    }
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "mgw-recorder-pipe: " << e.what() << '\n';
    return 1;
  }
}
