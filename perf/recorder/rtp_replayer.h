#pragma once

// Replays a MediaPlan for N participants at real-time pace over loopback UDP from one socket
// (sendmmsg batches of up to 64, each datagram with its own destination). Participant i sends
// Opus with SSRC ssrc_base + 2i and VP8 with ssrc_base + 2i + 1, starting i/N of 20 ms after
// participant 0 so the packets do not all leave in one burst, and an RTCP sender report per
// stream every second (NTP from the wall clock, RTP time from the schedule).

#include <netinet/in.h>

#include <cstdint>
#include <vector>

#include "media_plan.h"

namespace mgw::recbench {

struct ReplayTarget {
  sockaddr_in audio_rtp{};
  sockaddr_in audio_rtcp{};
  sockaddr_in video_rtp{};
  sockaddr_in video_rtcp{};
};

struct ReplayResult {
  std::vector<uint64_t> audio_frames;  // per participant: frames sent
  std::vector<uint64_t> video_frames;
  uint64_t packets = 0;
  uint64_t bytes = 0;     // RTP and RTCP datagrams, headers included
  double seconds = 0;     // wall time from the first to the last send
  double max_lag_ms = 0;  // how far behind its schedule the sender ever was
  // Participant 0's next Opus packet: sequence number and timestamp run on from the last sent.
  std::vector<uint8_t> next_audio_packet;
};

// Sends `packet` to `to` from a socket of its own, then advances its sequence number by one and
// its timestamp by one 20 ms Opus frame, ready for the next call.
void SendAndAdvance(std::vector<uint8_t>& packet, const sockaddr_in& to);

// Blocks for `seconds` on the calling thread.
ReplayResult Replay(const MediaPlan& plan, const std::vector<ReplayTarget>& targets,
                    uint32_t ssrc_base, double seconds);

sockaddr_in Loopback(uint16_t port);

}  // namespace mgw::recbench
