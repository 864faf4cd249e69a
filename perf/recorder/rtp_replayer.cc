#include "rtp_replayer.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

namespace mgw::recbench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBatch = 64;
constexpr size_t kSlot = 2048;
constexpr int64_t kSenderReportIntervalUs = 1'000'000;
constexpr int64_t kPhaseSpreadUs = 20'000;

enum class EventKind : uint8_t { kRtp, kSenderReport };

struct Event {
  int64_t at_us = 0;       // within one loop, phase applied, wrapped
  int64_t loop_shift = 0;  // -1 when wrapping moved it to the next loop's start
  uint32_t participant = 0;
  uint32_t packet = 0;  // index into plan.packets (kRtp)
  bool video = false;   // kSenderReport: which stream
  EventKind kind = EventKind::kRtp;
};

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint32_t LoadTs(const uint8_t* rtp) {
  return (uint32_t{rtp[4]} << 24) | (uint32_t{rtp[5]} << 16) | (uint32_t{rtp[6]} << 8) | rtp[7];
}

uint64_t NtpNow() {
  const auto since_unix = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(since_unix).count();
  const uint64_t seconds = static_cast<uint64_t>(us / 1'000'000) + 2'208'988'800ULL;
  const uint64_t fraction = (static_cast<uint64_t>(us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

}  // namespace

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

ReplayResult Replay(const MediaPlan& plan, const std::vector<ReplayTarget>& targets,
                    uint32_t ssrc_base, double seconds) {
  const size_t n = targets.size();
  const int64_t loop_us = static_cast<int64_t>(plan.loop_seconds * 1e6);
  std::vector<int64_t> phase(n);
  for (size_t i = 0; i < n; ++i)
    phase[i] = static_cast<int64_t>(i) * kPhaseSpreadUs / static_cast<int64_t>(n);

  // One loop's schedule for everybody, in send order.
  std::vector<Event> events;
  events.reserve(n * (plan.packets.size() + 4 * static_cast<size_t>(plan.loop_seconds)));
  auto add = [&](int64_t offset, Event e) {
    e.at_us = offset % loop_us;
    e.loop_shift = offset >= loop_us ? -1 : 0;
    events.push_back(e);
  };
  for (uint32_t p = 0; p < n; ++p) {
    for (uint32_t i = 0; i < plan.packets.size(); ++i) {
      add(plan.packets[i].offset_us + phase[p],
          {.participant = p, .packet = i, .video = plan.packets[i].video});
    }
    for (int64_t t = 0; t < loop_us; t += kSenderReportIntervalUs) {
      add(t + phase[p] + 1000,
          {.participant = p, .video = false, .kind = EventKind::kSenderReport});
      add(t + phase[p] + 1000, {.participant = p, .video = true, .kind = EventKind::kSenderReport});
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.at_us < b.at_us; });

  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  const int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  sockaddr_in local = Loopback(0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    close(fd);
    throw std::runtime_error("bind: " + std::string(std::strerror(errno)));
  }

  ReplayResult result;
  result.audio_frames.assign(n, 0);
  result.video_frames.assign(n, 0);
  std::vector<uint16_t> seq(2 * n);
  for (size_t s = 0; s < seq.size(); ++s) seq[s] = static_cast<uint16_t>(1000 + 7919 * s);

  std::vector<std::array<uint8_t, kSlot>> slots(kBatch);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  size_t pending = 0;
  auto flush = [&] {
    size_t sent = 0;
    while (sent < pending) {
      const int r = sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(pending - sent), 0);
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) continue;
        close(fd);
        throw std::runtime_error("sendmmsg: " + std::string(std::strerror(errno)));
      }
      sent += static_cast<size_t>(r);
    }
    pending = 0;
  };

  const int64_t end_us = static_cast<int64_t>(seconds * 1e6);
  const Clock::time_point start = Clock::now();
  int64_t last_us = 0;
  uint32_t last_audio_ts0 = 0;
  for (int64_t loop = 0;; ++loop) {
    bool finished = false;
    for (const Event& e : events) {
      const int64_t due = loop * loop_us + e.at_us;
      if (due >= end_us) {
        finished = true;
        break;
      }
      const int64_t rtp_loop = loop + e.loop_shift;
      if (rtp_loop < 0) continue;  // belongs to the loop before the first
      const auto now_us = [&] {
        return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
      };
      if (due > now_us()) {
        flush();
        std::this_thread::sleep_until(start + std::chrono::microseconds(due));
      }
      result.max_lag_ms = std::max(result.max_lag_ms, static_cast<double>(now_us() - due) / 1e3);
      last_us = due;

      const uint32_t p = e.participant;
      const uint32_t ssrc = ssrc_base + 2 * p + (e.video ? 1 : 0);
      const uint32_t rate = e.video ? 90'000 : 48'000;
      const uint32_t ts_base = 0x01000000u * (p % 200) + (e.video ? 0x800000u : 0);
      uint8_t* b = slots[pending].data();
      size_t size = 0;
      const sockaddr_in* to = nullptr;
      if (e.kind == EventKind::kRtp) {
        const TemplatePacket& t = plan.packets[e.packet];
        b[0] = 0x80;
        b[1] = static_cast<uint8_t>((t.marker ? 0x80 : 0) |
                                    (t.video ? kVp8PayloadType : kOpusPayloadType));
        Put16(b + 2, seq[2 * p + (e.video ? 1 : 0)]++);
        Put32(b + 4,
              ts_base +
                  static_cast<uint32_t>(rtp_loop * static_cast<int64_t>(plan.loop_seconds * rate)) +
                  t.rtp_timestamp);
        Put32(b + 8, ssrc);
        std::memcpy(b + 12, t.payload.data(), t.payload.size());
        size = 12 + t.payload.size();
        to = e.video ? &targets[p].video_rtp : &targets[p].audio_rtp;
        if (p == 0 && !e.video) last_audio_ts0 = LoadTs(b);
        if (t.frame_start) ++(e.video ? result.video_frames : result.audio_frames)[p];
      } else {
        // RFC 3550 SR, no report blocks; the RTP time of this instant on the sender's timeline.
        const int64_t media_us = due - phase[p];
        const uint32_t rtp = ts_base + static_cast<uint32_t>(media_us * rate / 1'000'000);
        const uint64_t ntp = NtpNow();
        b[0] = 0x80;
        b[1] = 200;
        Put16(b + 2, 6);
        Put32(b + 4, ssrc);
        Put32(b + 8, static_cast<uint32_t>(ntp >> 32));
        Put32(b + 12, static_cast<uint32_t>(ntp));
        Put32(b + 16, rtp);
        Put32(b + 20, 0);
        Put32(b + 24, 0);
        size = 28;
        to = e.video ? &targets[p].video_rtcp : &targets[p].audio_rtcp;
      }
      iovs[pending] = {b, size};
      msgs[pending] = {};
      msgs[pending].msg_hdr.msg_name = const_cast<sockaddr_in*>(to);
      msgs[pending].msg_hdr.msg_namelen = sizeof(sockaddr_in);
      msgs[pending].msg_hdr.msg_iov = &iovs[pending];
      msgs[pending].msg_hdr.msg_iovlen = 1;
      ++pending;
      ++result.packets;
      result.bytes += size;
      if (pending == kBatch) flush();
    }
    if (finished) break;
  }
  flush();
  result.seconds = static_cast<double>(last_us) / 1e6;
  // Participant 0's audio: the packets of the template are 20 ms apart, one per frame.
  for (const TemplatePacket& t : plan.packets) {
    if (t.video) continue;
    std::vector<uint8_t>& b = result.next_audio_packet;
    b.assign(12 + t.payload.size(), 0);
    b[0] = 0x80;
    b[1] = kOpusPayloadType;
    Put16(b.data() + 2, seq[0]);
    Put32(b.data() + 4, last_audio_ts0 + 960);
    Put32(b.data() + 8, ssrc_base);
    std::memcpy(b.data() + 12, t.payload.data(), t.payload.size());
    break;
  }
  close(fd);
  return result;
}

void SendAndAdvance(std::vector<uint8_t>& packet, const sockaddr_in& to) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  close(fd);
  Put16(packet.data() + 2, static_cast<uint16_t>(((packet[2] << 8) | packet[3]) + 1));
  Put32(packet.data() + 4, LoadTs(packet.data()) + 960);
}

}  // namespace mgw::recbench
