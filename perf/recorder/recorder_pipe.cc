// mgw-recorder-pipe: mgw-recorder's media path on its own, for mgw-recorder-bench. It is what
// MeetingRecorder (recorder/daemon/meeting_recorder.cc) runs once the signalling has told it the
// tracks, without the signalling: one thread, one asio io_context, one UDP socket (4 MiB receive
// buffer, RTP and RTCP multiplexed, RFC 5761) read by the recorder's own MediaReceiver (a timer
// every `--batch-ms`, default 10 as recorder.receive_batch_ms, then a recvmmsg drain), SSRC ->
// track, Recording (jitter buffers, depacketizers, A/V placement) into a MatroskaSink, and a 20 ms
// timer that calls Recording::Poll and checks the stop flag. Participant i has audio SSRC
// ssrc_base + 2i (Opus) and video SSRC ssrc_base + 2i + 1 (VP8), one sync group each.
//
//   mgw-recorder-pipe --port P --participants N --ssrc-base S --out file.mkv --summary s.json
//                     [--batch-ms 10]
//
// SIGTERM or SIGINT finishes the file (Recording::Finish) and writes the summary: per track the
// frames written and the packets received, lost, duplicated and late.
//
// `--recvmmsg 1` is `--batch-ms 0`: wait for the socket to be readable, then drain it with
// recvmmsg before waiting again (a wake-up per burst). mgw-recorder-bench's receiver
// "mgw-recvmmsg" runs it.
#include <signal.h>

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
#include "mgw/rec/media_receiver.h"
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
  int batch_ms = 10;  // recorder.receive_batch_ms's default
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
      if (std::string_view(value) == "1") a.batch_ms = 0;
    } else if (key == "--batch-ms") {
      a.batch_ms = std::atoi(value);
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !a.out.empty() && a.participants > 0 && a.batch_ms >= 0 &&
         a.batch_ms <= mgw::rec::MediaReceiver::kMaxBatch.count();
}

class Pipe {
 public:
  explicit Pipe(const Args& args)
      : receiver_(io_, std::chrono::milliseconds(args.batch_ms),
                  [this](std::span<uint8_t> datagram) { OnDatagram(datagram); }),
        socket_(receiver_.socket()),
        sink_(mgw::rec::MatroskaSink::Options{.path = args.out}),
        recording_(sink_, MediaClock::now(), Recording::Options{}, nullptr) {
    for (int i = 0; i < args.participants; ++i) {
      const std::string group = "p" + std::to_string(i);
      const uint32_t audio = args.ssrc_base + 2 * static_cast<uint32_t>(i);
      track_of_ssrc_[audio] = recording_.AddTrack({group + " audio", Codec::kOpus, group});
      track_of_ssrc_[audio + 1] = recording_.AddTrack({group + " video", Codec::kVp8, group});
    }
    const udp::endpoint bind_to(asio::ip::make_address("127.0.0.1"), args.port);
    socket_.open(bind_to.protocol());
    socket_.set_option(
        asio::socket_base::receive_buffer_size(mgw::rec::MediaReceiver::kReceiveBufferBytes));
    socket_.bind(bind_to);
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) stop_ = true;
    });
  }

  bool Run() {
    receiver_.Start();
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
    receiver_.Stop();
    ok_ = recording_.Finish(MediaClock::now());
    boost::system::error_code ignored;
    socket_.close(ignored);
    signals_.cancel();
  }

  asio::io_context io_;
  mgw::rec::MediaReceiver receiver_;
  udp::socket& socket_;
  asio::steady_timer timer_{io_};
  asio::signal_set signals_{io_, SIGTERM, SIGINT};
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
                 "[--summary FILE] [--batch-ms 0..100] [--recvmmsg 1]\n";
    return 2;
  }
  try {
    Pipe pipe(args);
    const bool ok = pipe.Run();
    if (!args.summary.empty()) {
      std::ofstream(args.summary) << json::serialize(pipe.Summary()) << '\n';
    }
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "mgw-recorder-pipe: " << e.what() << '\n';
    return 1;
  }
}
