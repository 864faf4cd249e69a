#pragma once

// All audio tracks of a recording mixed into one Opus track (recorder.mix_audio).
//
//   Opus frame (per source, file timeline) ─▶ libopus decode ─▶ PCM at its position ─┐
//   one lost frame, next has in-band FEC ─▶ opus_decode(decode_fec=1)                ├▶ sum, clip
//   other losses ─▶ opus_decode(NULL) (PLC, at most kMaxConcealedSamples)           ─┘   to int16
//                                                    ─▶ libopus encode, 20 ms ─▶ Listener
//
// Positions are 48 kHz ticks on the file timeline (what Recording writes the source frames at),
// so a source that starts later, or pauses, is silence in the mix where it sent nothing. The
// owner calls MixUntil with a position it will not receive frames before any more (its reorder
// delay behind the newest), and Flush at the end; a frame that arrives for an already mixed
// span is counted late and left out, and so is concealment for a hole longer than that delay
// (the span was mixed as silence before the next packet showed the hole). Mono output. No clock,
// no I/O, no threads.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

struct OpusEncoder;

namespace mgw::rec {

// True when `packet` carries in-band FEC (LBRR) data for the frame before it: a SILK or hybrid
// packet of one 10 or 20 ms frame (code 0) whose first LBRR flag is set (RFC 6716 section 4.2.3).
// Longer or multi-frame packets are reported false, so a loss before them is concealed instead.
bool OpusPacketHasFec(std::span<const uint8_t> packet);

class AudioMixer {
 public:
  static constexpr int kSampleRate = 48000;
  static constexpr int kFrameSamples = 960;                // 20 ms output frames
  static constexpr int kMaxConcealedSamples = 48000 / 10;  // PLC covers 100 ms; then silence

  struct Stats {
    uint64_t frames_decoded = 0;
    uint64_t frames_fec_recovered = 0;  // lost frames rebuilt from the next packet's FEC
    uint64_t samples_concealed = 0;     // produced by PLC
    uint64_t frames_late = 0;           // arrived for a span already mixed
    uint64_t decode_errors = 0;
    uint64_t encode_errors = 0;
    uint64_t frames_mixed = 0;  // output frames
    uint64_t samples_clipped = 0;
  };

  class Listener {
   public:
    virtual ~Listener() = default;
    // One encoded 20 ms frame of the mix at `pts` (48 kHz ticks); `data` is borrowed.
    virtual void OnMixedFrame(int64_t pts, std::span<const uint8_t> data) = 0;
  };

  // Throws std::runtime_error when libopus cannot create the encoder.
  explicit AudioMixer(Listener& listener, int bitrate_bps = 64000);
  ~AudioMixer();
  AudioMixer(const AudioMixer&) = delete;
  AudioMixer& operator=(const AudioMixer&) = delete;

  // Returns the source's id. Throws std::runtime_error when libopus cannot create its decoder.
  int AddSource();
  // A source's next Opus frame, at `pts` (48 kHz ticks, never decreasing per source). A hole
  // before it is filled by FEC (one frame missing and this packet has it) or PLC.
  void Push(int source, int64_t pts, std::span<const uint8_t> packet);
  // Mixes, encodes and emits every 20 ms frame that ends at or before `until`.
  void MixUntil(int64_t until);
  // Mixes everything decoded so far (the last frame padded with silence).
  void Flush();

  const Stats& stats() const { return stats_; }

 private:
  struct Source;
  void Place(Source& source, int64_t at, const float* pcm, int samples);
  void MixFrame();

  Listener& listener_;
  OpusEncoder* encoder_ = nullptr;
  std::vector<std::unique_ptr<Source>> sources_;
  int64_t mixed_until_ = 0;  // every source's pcm[0] is at this position
  Stats stats_;
};

}  // namespace mgw::rec
