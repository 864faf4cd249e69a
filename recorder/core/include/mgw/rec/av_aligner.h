#pragma once

// Places each stream's first frame on the file's timeline. Without sender reports a stream starts
// where its first frame arrived (relative to the recording's start). Streams of one sync group
// (one participant: one sender clock) that have sender reports are placed by their NTP times
// instead: the least delayed of them keeps its arrival position and the others sit at their NTP
// distance from it, which removes the network and jitter-buffer delay differences between audio
// and video. The correction applied to each stream is reported so the file can record it.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "mgw/rec/media_clock.h"
#include "mgw/rec/sender_report_clock.h"

namespace mgw::rec {

struct StreamStart {
  std::string sync_group;  // e.g. the participant; empty: aligned by arrival only
  uint32_t ssrc = 0;
  uint32_t first_rtp_timestamp = 0;
  TimePoint first_arrival;
};

struct StreamPlacement {
  std::chrono::microseconds start{0};       // first frame's position on the file timeline
  std::chrono::microseconds correction{0};  // start minus the arrival-based position
  bool from_sender_reports = false;
};

// One placement per entry of `streams`, in order. No start is negative.
std::vector<StreamPlacement> PlaceStreams(const std::vector<StreamStart>& streams,
                                          TimePoint recording_start,
                                          const SenderReportClocks& clocks);

}  // namespace mgw::rec
