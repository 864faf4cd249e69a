#pragma once

// One recording: RTP and RTCP of a meeting's tracks in, timed frames into a MediaSink out.
//
//   RTP ─▶ JitterBuffer (per track) ─▶ Depacketizer ─▶ timeline (A/V placement) ─▶ MediaSink
//   RTCP ─▶ SenderReportClocks ──────────────────────────────┘
//
// The container's header needs every stream's configuration, and a video stream can only start
// on a keyframe, so frames are held until every track has produced its first usable frame (and,
// for a sync group of several tracks, its first sender report), or until `header_wait` has
// passed; tracks still silent then are left out of this file and reported. From then on frames
// are written as they complete. Every call takes `now`; nothing reads a clock. Single-threaded:
// the owner calls it from its receive thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mgw/rec/audio_mixer.h"
#include "mgw/rec/codec.h"
#include "mgw/rec/jitter_buffer.h"
#include "mgw/rec/media_clock.h"
#include "mgw/rec/media_sink.h"
#include "mgw/rec/sender_report_clock.h"

namespace mgw::rec {

struct EncodedFrame;

struct TrackConfig {
  std::string label;
  Codec codec = Codec::kOpus;
  std::string sync_group;  // tracks of one sender, aligned with each other by sender reports
};

struct GapEvent {
  int64_t at_us = 0;  // position on the file timeline of the last frame before the gap
  uint64_t packets = 0;
};

struct SsrcChangeEvent {
  int track = 0;
  int64_t at_us = 0;
  uint32_t from = 0;
  uint32_t to = 0;
};

struct TrackSummary {
  std::string label;
  Codec codec = Codec::kOpus;
  int stream = -1;  // index in the file; -1 when the track never made it into the file
  std::vector<uint32_t> ssrcs;
  int width = 0;
  int height = 0;
  int64_t start_us = 0;       // first frame on the file timeline
  int64_t end_us = 0;         // end of the last frame
  int64_t correction_us = 0;  // A/V alignment applied
  bool sender_report_aligned = false;
  uint64_t frames_written = 0;
  uint64_t frames_dropped = 0;
  uint64_t packets_received = 0;
  uint64_t packets_lost = 0;
  uint64_t packets_duplicate = 0;
  uint64_t packets_late = 0;
  uint64_t keyframe_requests = 0;
  std::vector<GapEvent> gaps;  // the first kMaxGapsListed; packets_lost has the total
};

// The mixed audio track (Options::mix_audio); also listed in `tracks`, labelled kMixLabel.
struct MixSummary {
  int stream = -1;  // -1: no mix in the file
  int sources = 0;
  AudioMixer::Stats stats;
};

struct RecordingSummary {
  std::vector<TrackSummary> tracks;
  MixSummary mix;
  std::vector<SsrcChangeEvent> ssrc_changes;
  int64_t duration_us = 0;
  bool sink_ok = true;
};

class Recording {
 public:
  static constexpr size_t kMaxGapsListed = 1000;

  struct Options {
    JitterBuffer::Options jitter;
    std::chrono::milliseconds header_wait{3000};
    std::chrono::milliseconds keyframe_request_interval{1000};
    // One more track: every audio track in the file decoded, mixed and encoded again (libopus).
    bool mix_audio = false;
    // How far behind `now` the mix runs, on top of the jitter buffer's max_delay, so frames
    // released late still make it in.
    std::chrono::milliseconds mix_delay{200};
  };

  static constexpr const char* kMixLabel = "mixed audio";

  class Listener {
   public:
    virtual ~Listener() = default;
    // A video track lost data (or has not started) and needs a keyframe: send a PLI to `ssrc`.
    virtual void OnKeyframeNeeded(int track, uint32_t ssrc) = 0;
  };

  Recording(MediaSink& sink, TimePoint start, const Options& options, Listener* listener);
  ~Recording();
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;

  // Before the first packet. Returns the track's id.
  int AddTrack(const TrackConfig& config);
  void OnRtp(int track, std::span<const uint8_t> packet, TimePoint now);
  void OnRtcp(std::span<const uint8_t> compound, TimePoint now);
  // Releases what the jitter buffers held long enough, opens the file when due, repeats
  // keyframe requests. Call every few tens of milliseconds.
  void Poll(TimePoint now);
  // Flushes everything held and closes the sink. Returns false when the sink reported a failure.
  bool Finish(TimePoint now);

  bool file_open() const { return opened_; }
  RecordingSummary Summary() const;

 private:
  class Track;
  struct PendingFrame;
  class MixWriter;

  void OnTrackFrame(Track& track, const EncodedFrame& frame);
  void MaybeOpen(TimePoint now, bool force);
  void Open();
  void OpenMix();
  void RunMix(TimePoint now);

  MediaSink& sink_;
  TimePoint start_;
  Options options_;
  Listener* listener_;
  SenderReportClocks clocks_;
  std::vector<std::unique_ptr<Track>> tracks_;
  std::vector<std::unique_ptr<PendingFrame>> pending_;
  std::vector<SsrcChangeEvent> ssrc_changes_;
  std::unique_ptr<MixWriter> mix_writer_;
  std::unique_ptr<AudioMixer> mixer_;
  int mix_stream_ = -1;
  int mix_sources_ = 0;
  int64_t mix_end_ = 0;  // end of the last mixed frame written, 48 kHz ticks
  TimePoint now_;
  bool opened_ = false;
  bool finished_ = false;
  bool sink_ok_ = true;
};

}  // namespace mgw::rec
