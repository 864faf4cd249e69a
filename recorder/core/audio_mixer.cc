#include "mgw/rec/audio_mixer.h"

#include <opus/opus.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <stdexcept>
#include <string>

namespace mgw::rec {

namespace {

// The longest Opus frame: 120 ms at 48 kHz.
constexpr int kMaxPacketSamples = 5760;

}  // namespace

bool OpusPacketHasFec(std::span<const uint8_t> packet) {
  if (packet.size() < 2) return false;
  const int config = packet[0] >> 3;
  if ((packet[0] & 0x3) != 0) return false;  // code 0: exactly one frame
  // SILK-only configs 0..11 (frame size index config % 4: 10, 20, 40, 60 ms) and hybrid 12..15
  // (config % 2: 10, 20 ms). A 10 or 20 ms frame holds one SILK frame, so the range coder's
  // first symbols are the VAD flag and then the LBRR flag, each one bit of probability 1/2: the
  // top two bits of the first byte after the TOC (RFC 6716 section 4.2.3, for mono and for the
  // mid channel of stereo alike).
  if (config < 12) {
    if (config % 4 > 1) return false;
  } else if (config < 16) {
    // Hybrid: 10 or 20 ms only.
  } else {
    return false;  // CELT-only: no LBRR
  }
  return ((packet[1] >> 6) & 1) != 0;
}

struct AudioMixer::Source {
  OpusDecoder* decoder = nullptr;
  std::deque<float> pcm;  // pcm[i] is at mixed_until_ + i
  int64_t next_pts = -1;  // where the next frame is expected
  ~Source() {
    if (decoder) opus_decoder_destroy(decoder);
  }
};

AudioMixer::AudioMixer(Listener& listener, int bitrate_bps) : listener_(listener) {
  int error = 0;
  encoder_ = opus_encoder_create(kSampleRate, 1, OPUS_APPLICATION_AUDIO, &error);
  if (error != OPUS_OK || !encoder_) {
    throw std::runtime_error(std::string("opus_encoder_create: ") + opus_strerror(error));
  }
  opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(bitrate_bps));
}

AudioMixer::~AudioMixer() {
  if (encoder_) opus_encoder_destroy(encoder_);
}

int AudioMixer::AddSource() {
  auto source = std::make_unique<Source>();
  int error = 0;
  source->decoder = opus_decoder_create(kSampleRate, 1, &error);
  if (error != OPUS_OK || !source->decoder) {
    throw std::runtime_error(std::string("opus_decoder_create: ") + opus_strerror(error));
  }
  sources_.push_back(std::move(source));
  return static_cast<int>(sources_.size()) - 1;
}

void AudioMixer::Push(int source_id, int64_t pts, std::span<const uint8_t> packet) {
  if (source_id < 0 || static_cast<size_t>(source_id) >= sources_.size()) return;
  Source& source = *sources_[static_cast<size_t>(source_id)];
  const int samples = opus_packet_get_nb_samples(
      packet.data(), static_cast<opus_int32>(packet.size()), kSampleRate);
  if (samples <= 0 || samples > kMaxPacketSamples) {
    ++stats_.decode_errors;
    return;
  }
  if (pts + samples <= mixed_until_) {
    ++stats_.frames_late;
    source.next_pts = std::max(source.next_pts, pts + samples);
    return;
  }
  std::array<float, kMaxPacketSamples> pcm{};
  if (source.next_pts >= 0) {
    const int64_t missing = pts - source.next_pts;
    // Less than half a 2.5 ms unit apart is the same position (senders' timestamps are exact).
    if (missing >= 60) {
      if (std::llabs(missing - samples) < 60 && OpusPacketHasFec(packet)) {
        // Exactly one frame lost, and this packet carries it at lower quality.
        const int n =
            opus_decode_float(source.decoder, packet.data(), static_cast<opus_int32>(packet.size()),
                              pcm.data(), samples, 1);
        if (n > 0) {
          ++stats_.frames_fec_recovered;
          Place(source, source.next_pts, pcm.data(), n);
        } else {
          ++stats_.decode_errors;
        }
      } else {
        // Conceal in 20 ms steps (PLC takes a multiple of 2.5 ms), at most 100 ms; a longer hole
        // stays silent, as the source was.
        int64_t at = source.next_pts;
        const int64_t end = source.next_pts + std::min<int64_t>(missing, kMaxConcealedSamples);
        while (end - at >= 120) {
          const int step =
              static_cast<int>(std::min<int64_t>(kFrameSamples, (end - at) / 120 * 120));
          const int n = opus_decode_float(source.decoder, nullptr, 0, pcm.data(), step, 0);
          if (n <= 0) {
            ++stats_.decode_errors;
            break;
          }
          stats_.samples_concealed += static_cast<uint64_t>(n);
          Place(source, at, pcm.data(), n);
          at += n;
        }
      }
    }
  }
  const int n =
      opus_decode_float(source.decoder, packet.data(), static_cast<opus_int32>(packet.size()),
                        pcm.data(), kMaxPacketSamples, 0);
  if (n <= 0) {
    ++stats_.decode_errors;
    source.next_pts = pts + samples;
    return;
  }
  ++stats_.frames_decoded;
  Place(source, pts, pcm.data(), n);
  source.next_pts = pts + n;
}

void AudioMixer::Place(Source& source, int64_t at, const float* pcm, int samples) {
  int64_t offset = at - mixed_until_;
  int first = 0;
  if (offset < 0) {  // the start of it falls into what is mixed already
    first = static_cast<int>(std::min<int64_t>(-offset, samples));
    offset = 0;
  }
  const size_t end = static_cast<size_t>(offset) + static_cast<size_t>(samples - first);
  if (source.pcm.size() < end) source.pcm.resize(end, 0.0f);
  std::copy(pcm + first, pcm + samples, source.pcm.begin() + static_cast<std::ptrdiff_t>(offset));
}

void AudioMixer::MixUntil(int64_t until) {
  while (mixed_until_ + kFrameSamples <= until) MixFrame();
}

void AudioMixer::Flush() {
  size_t longest = 0;
  for (const auto& source : sources_) longest = std::max(longest, source->pcm.size());
  const int64_t end = mixed_until_ + static_cast<int64_t>(longest);
  while (mixed_until_ < end) MixFrame();
}

void AudioMixer::MixFrame() {
  std::array<float, kFrameSamples> sum{};
  for (auto& source : sources_) {
    const size_t n = std::min<size_t>(kFrameSamples, source->pcm.size());
    for (size_t i = 0; i < n; ++i) sum[i] += source->pcm[i];
    source->pcm.erase(source->pcm.begin(), source->pcm.begin() + static_cast<std::ptrdiff_t>(n));
  }
  std::array<opus_int16, kFrameSamples> pcm{};
  for (size_t i = 0; i < sum.size(); ++i) {
    const float scaled = std::round(sum[i] * 32768.0f);
    if (scaled > 32767.0f || scaled < -32768.0f) ++stats_.samples_clipped;
    pcm[i] = static_cast<opus_int16>(std::clamp(scaled, -32768.0f, 32767.0f));
  }
  std::array<uint8_t, 1500> out{};
  const opus_int32 size = opus_encode(encoder_, pcm.data(), kFrameSamples, out.data(),
                                      static_cast<opus_int32>(out.size()));
  const int64_t pts = mixed_until_;
  mixed_until_ += kFrameSamples;
  if (size <= 0) {
    ++stats_.encode_errors;
    return;
  }
  ++stats_.frames_mixed;
  listener_.OnMixedFrame(pts, std::span<const uint8_t>(out.data(), static_cast<size_t>(size)));
}

}  // namespace mgw::rec
