// AudioMixer with a real libopus encoder on the sending side and a real decoder on the output:
// a single lost frame comes back from the next packet's in-band FEC, a loss without FEC is
// concealed (PLC), a long hole goes silent after the concealment limit, and two sources are
// both in the mix (clipped when they add up past full scale).
#include "mgw/rec/audio_mixer.h"

#include <gtest/gtest.h>
#include <opus/opus.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <span>
#include <vector>

namespace mgw::rec {
namespace {

constexpr int kFrame = AudioMixer::kFrameSamples;

// `frames` 20 ms Opus packets of a sine at `hz` and `amplitude` (full scale 1.0). With `fec`,
// SILK wideband (voice, 24 kbit/s) with in-band FEC for 30 % loss; else CELT at 64 kbit/s.
std::vector<std::vector<uint8_t>> EncodeTone(double hz, double amplitude, int frames, bool fec) {
  int error = 0;
  OpusEncoder* encoder = opus_encoder_create(
      48000, 1, fec ? OPUS_APPLICATION_VOIP : OPUS_APPLICATION_RESTRICTED_LOWDELAY, &error);
  EXPECT_EQ(error, OPUS_OK);
  if (fec) {
    opus_encoder_ctl(encoder, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    opus_encoder_ctl(encoder, OPUS_SET_MAX_BANDWIDTH(OPUS_BANDWIDTH_WIDEBAND));
    opus_encoder_ctl(encoder, OPUS_SET_BITRATE(24000));
    opus_encoder_ctl(encoder, OPUS_SET_INBAND_FEC(1));
    opus_encoder_ctl(encoder, OPUS_SET_PACKET_LOSS_PERC(30));
  } else {
    opus_encoder_ctl(encoder, OPUS_SET_BITRATE(64000));
  }
  std::vector<std::vector<uint8_t>> packets;
  std::vector<opus_int16> pcm(kFrame);
  std::vector<uint8_t> out(1500);
  for (int f = 0; f < frames; ++f) {
    for (int i = 0; i < kFrame; ++i) {
      const double t = static_cast<double>(f * kFrame + i) / 48000.0;
      pcm[static_cast<size_t>(i)] =
          static_cast<opus_int16>(std::lround(32767 * amplitude * std::sin(2 * M_PI * hz * t)));
    }
    const int n = opus_encode(encoder, pcm.data(), kFrame, out.data(), 1500);
    EXPECT_GT(n, 0);
    packets.emplace_back(out.begin(), out.begin() + n);
  }
  opus_encoder_destroy(encoder);
  return packets;
}

// Collects the mix and decodes it back to samples on the file timeline (the output encoder's
// delay removed).
class Collector : public AudioMixer::Listener {
 public:
  void OnMixedFrame(int64_t pts, std::span<const uint8_t> data) override {
    EXPECT_EQ(pts, next_pts_);
    next_pts_ = pts + kFrame;
    packets_.emplace_back(data.begin(), data.end());
  }

  std::vector<float> Decode() const {
    int error = 0;
    OpusDecoder* decoder = opus_decoder_create(48000, 1, &error);
    std::vector<float> samples;
    std::vector<float> pcm(5760);
    for (const auto& p : packets_) {
      const int n = opus_decode_float(decoder, p.data(), static_cast<opus_int32>(p.size()),
                                      pcm.data(), 5760, 0);
      EXPECT_GT(n, 0);
      samples.insert(samples.end(), pcm.begin(), pcm.begin() + std::max(n, 0));
    }
    opus_decoder_destroy(decoder);
    // The mixer's encoder (OPUS_APPLICATION_AUDIO) delays its input by its lookahead.
    OpusEncoder* encoder = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &error);
    opus_int32 lookahead = 0;
    opus_encoder_ctl(encoder, OPUS_GET_LOOKAHEAD(&lookahead));
    opus_encoder_destroy(encoder);
    samples.erase(samples.begin(), samples.begin() + lookahead);
    return samples;
  }

  size_t frames() const { return packets_.size(); }

 private:
  int64_t next_pts_ = 0;
  std::vector<std::vector<uint8_t>> packets_;
};

// Root mean square of samples [from, from + count).
double Rms(const std::vector<float>& samples, size_t from, size_t count) {
  double sum = 0;
  for (size_t i = from; i < from + count && i < samples.size(); ++i) sum += samples[i] * samples[i];
  return std::sqrt(sum / static_cast<double>(count));
}

double Goertzel(const std::vector<float>& samples, double hz) {
  const double c = 2 * std::cos(2 * M_PI * hz / 48000);
  double s1 = 0, s2 = 0;
  for (float x : samples) {
    const double s = x + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

// Pushes `packets` at their 20 ms positions, leaving out the frames in `lost`; returns the mix.
std::vector<float> MixOne(const std::vector<std::vector<uint8_t>>& packets,
                          const std::set<int>& lost, AudioMixer::Stats* stats) {
  Collector out;
  AudioMixer mixer(out);
  const int source = mixer.AddSource();
  for (int f = 0; f < static_cast<int>(packets.size()); ++f) {
    if (lost.contains(f)) continue;
    mixer.Push(source, int64_t{f} * kFrame, packets[static_cast<size_t>(f)]);
    // Runs 100 ms behind the newest frame (Recording runs it behind the newest arrivals).
    mixer.MixUntil(int64_t{f - 5} * kFrame);
  }
  mixer.Flush();
  EXPECT_EQ(out.frames(), packets.size());
  *stats = mixer.stats();
  return out.Decode();
}

TEST(AudioMixerTest, ASingleLostFrameIsRecoveredFromTheNextPacketsFec) {
  const auto packets = EncodeTone(440, 0.3, 40, true);
  ASSERT_TRUE(OpusPacketHasFec(packets[21]));
  AudioMixer::Stats stats;
  const std::vector<float> mix = MixOne(packets, {20}, &stats);
  EXPECT_EQ(stats.frames_fec_recovered, 1u);
  EXPECT_EQ(stats.samples_concealed, 0u);
  EXPECT_EQ(stats.frames_decoded, 39u);
  const double normal = Rms(mix, 10 * kFrame, kFrame);
  const double recovered = Rms(mix, 20 * kFrame, kFrame);
  std::printf("rms: normal %.4f, FEC-recovered frame %.4f\n", normal, recovered);
  EXPECT_GT(normal, 0.1);
  EXPECT_GT(recovered, 0.5 * normal);
}

TEST(AudioMixerTest, ALossWithoutFecIsConcealed) {
  const auto packets = EncodeTone(440, 0.3, 40, false);
  ASSERT_FALSE(OpusPacketHasFec(packets[21]));  // CELT: no LBRR
  AudioMixer::Stats stats;
  const std::vector<float> mix = MixOne(packets, {20}, &stats);
  EXPECT_EQ(stats.frames_fec_recovered, 0u);
  EXPECT_EQ(stats.samples_concealed, static_cast<uint64_t>(kFrame));
  const double normal = Rms(mix, 10 * kFrame, kFrame);
  const double concealed = Rms(mix, 20 * kFrame, kFrame);
  std::printf("rms: normal %.4f, concealed frame %.4f\n", normal, concealed);
  EXPECT_GT(concealed, 0.3 * normal);
}

TEST(AudioMixerTest, TwoLostFramesAreConcealedEvenWithFec) {
  const auto packets = EncodeTone(440, 0.3, 40, true);
  AudioMixer::Stats stats;
  const std::vector<float> mix = MixOne(packets, {20, 21}, &stats);
  EXPECT_EQ(stats.frames_fec_recovered, 0u);
  EXPECT_EQ(stats.samples_concealed, 2u * kFrame);
  EXPECT_GT(Rms(mix, 20 * kFrame, kFrame), 0.1 * Rms(mix, 10 * kFrame, kFrame));
}

TEST(AudioMixerTest, ALongHoleIsConcealedFor100MsThenSilent) {
  const auto packets = EncodeTone(440, 0.3, 60, false);
  std::set<int> lost;
  for (int f = 20; f < 40; ++f) lost.insert(f);  // 400 ms
  AudioMixer::Stats stats;
  const std::vector<float> mix = MixOne(packets, lost, &stats);
  EXPECT_EQ(stats.samples_concealed, static_cast<uint64_t>(AudioMixer::kMaxConcealedSamples));
  const double normal = Rms(mix, 10 * kFrame, kFrame);
  EXPECT_GT(Rms(mix, 20 * kFrame, kFrame), 0.1 * normal);   // concealed
  EXPECT_LT(Rms(mix, 30 * kFrame, kFrame), 0.01 * normal);  // silence
  EXPECT_GT(Rms(mix, 50 * kFrame, kFrame), 0.5 * normal);   // back
}

TEST(AudioMixerTest, MixesSourcesAtTheirPositionsAndClips) {
  const auto a = EncodeTone(440, 0.7, 50, false);
  const auto b = EncodeTone(660, 0.7, 50, false);
  Collector out;
  AudioMixer mixer(out);
  const int sa = mixer.AddSource();
  const int sb = mixer.AddSource();
  // b starts 200 ms later on the timeline: the mix has only a there.
  for (int f = 0; f < 50; ++f) {
    mixer.Push(sa, int64_t{f} * kFrame, a[static_cast<size_t>(f)]);
    mixer.Push(sb, int64_t{f + 10} * kFrame, b[static_cast<size_t>(f)]);
  }
  mixer.Flush();
  EXPECT_EQ(out.frames(), 60u);
  EXPECT_GT(mixer.stats().samples_clipped, 0u);  // 0.7 + 0.7 passes full scale
  const std::vector<float> mix = out.Decode();
  const std::vector<float> early(mix.begin() + 2 * kFrame, mix.begin() + 9 * kFrame);
  const std::vector<float> both(mix.begin() + 20 * kFrame, mix.begin() + 45 * kFrame);
  EXPECT_GT(Goertzel(early, 440), 100 * Goertzel(early, 660));
  EXPECT_GT(Goertzel(both, 660), 0.1 * Goertzel(both, 440));
  EXPECT_GT(Goertzel(both, 440), 0.1 * Goertzel(both, 660));
  // A frame for a span already mixed is left out and counted.
  mixer.Push(sa, 0, a[0]);
  EXPECT_EQ(mixer.stats().frames_late, 1u);
}

TEST(AudioMixerTest, FecFlagIsReadOnlyFromSingleShortSilkOrHybridFrames) {
  EXPECT_FALSE(OpusPacketHasFec(std::vector<uint8_t>{}));
  EXPECT_FALSE(OpusPacketHasFec(std::vector<uint8_t>{0x08}));        // too short
  EXPECT_TRUE(OpusPacketHasFec(std::vector<uint8_t>{0x08, 0x40}));   // SILK NB 20 ms, LBRR
  EXPECT_FALSE(OpusPacketHasFec(std::vector<uint8_t>{0x08, 0x80}));  // VAD only
  EXPECT_FALSE(OpusPacketHasFec(std::vector<uint8_t>{0x10, 0x40}));  // SILK 40 ms
  EXPECT_FALSE(OpusPacketHasFec(std::vector<uint8_t>{0x09, 0x40}));  // code 1: two frames
  EXPECT_TRUE(OpusPacketHasFec(std::vector<uint8_t>{0x68, 0x40}));   // hybrid SWB 20 ms
  EXPECT_FALSE(OpusPacketHasFec(std::vector<uint8_t>{0xF8, 0xFF}));  // CELT
}

}  // namespace
}  // namespace mgw::rec
