#pragma once

// Turns in-order RTP payloads of one stream into whole encoded frames. A video frame that lost a
// packet is never emitted: the depacketizer drops frames until the next keyframe and asks for one
// (OnKeyframeNeeded, which the recording turns into a PLI through the dataplane).

#include <cstdint>
#include <memory>
#include <span>

#include "mgw/rec/codec.h"
#include "mgw/rec/jitter_buffer.h"
#include "mgw/rec/media_clock.h"

namespace mgw::rec {

// One frame; `data` and `extradata` are valid only during the listener call.
struct EncodedFrame {
  uint32_t ssrc = 0;
  uint64_t extended_timestamp = 0;
  TimePoint arrival;  // of the frame's first packet
  bool keyframe = false;
  std::span<const uint8_t> data;
  // On keyframes only: the decoder configuration the container needs (H.264: an
  // AVCDecoderConfigurationRecord built from the SPS and PPS) and the picture size when the
  // bitstream states it (VP8 keyframe header). Empty or zero otherwise.
  std::span<const uint8_t> extradata;
  int width = 0;
  int height = 0;
};

class Depacketizer {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnFrame(const EncodedFrame& frame) = 0;
    virtual void OnKeyframeNeeded() = 0;
  };

  struct Stats {
    uint64_t frames = 0;
    uint64_t keyframes = 0;
    uint64_t frames_dropped = 0;  // incomplete, or waiting for a keyframe
    uint64_t malformed = 0;       // payloads that broke the format's rules
    uint64_t keyframe_requests = 0;
  };

  virtual ~Depacketizer() = default;
  virtual void Push(const OrderedPacket& packet) = 0;
  // Packets were lost (or the sequence restarted) before the next Push.
  virtual void OnLoss() = 0;
  // Emits a frame still being assembled if it is complete by its own rules (end of stream).
  virtual void Finish() {}
  // True while frames are being dropped until a keyframe (callers repeat their request).
  virtual bool waiting_for_keyframe() const { return false; }
  const Stats& stats() const { return stats_; }

 protected:
  Stats stats_;
};

std::unique_ptr<Depacketizer> MakeDepacketizer(Codec codec, Depacketizer::Listener& listener);

}  // namespace mgw::rec
