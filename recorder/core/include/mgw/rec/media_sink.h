#pragma once

// Where timed frames go: the one interface in front of the muxer, so the recording's timing
// logic is tested without FFmpeg. Calls come from one thread.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mgw/rec/codec.h"

namespace mgw::rec {

struct SinkStream {
  Codec codec = Codec::kOpus;
  std::string label;               // e.g. "alice audio"
  std::vector<uint8_t> extradata;  // codec configuration (H.264 avcC); may be empty
  uint32_t clock_rate = 48000;     // the stream's time base is 1/clock_rate
  int width = 0;                   // video
  int height = 0;
  int channels = 2;  // audio: RFC 7587 always signals 2; the decoder follows the packets
  // The A/V alignment correction applied to this stream's timestamps, recorded in the file.
  std::chrono::microseconds applied_offset{0};
};

class MediaSink {
 public:
  virtual ~MediaSink() = default;
  // Before the first WriteFrame only. Returns the stream's index, or -1 when refused.
  virtual int AddStream(const SinkStream& stream) = 0;
  // `pts` is in 1/clock_rate units and never decreases within a stream; `data` is borrowed.
  // Returns false when the frame could not be written (the sink stays usable if it can).
  virtual bool WriteFrame(int stream, int64_t pts, bool keyframe,
                          std::span<const uint8_t> data) = 0;
  // Finishes the file. Returns false when the file may be incomplete.
  virtual bool Close() = 0;
};

}  // namespace mgw::rec
