#pragma once

// Real encoded media for recorder tests: an Opus tone (libopus) and a moving VP8 picture
// (libavcodec's libvpx encoder), packetized into RTP as a WebRTC sender would.

#include <cstdint>
#include <string>
#include <vector>

namespace mgw::rec::testing {

struct EncodedMediaFrame {
  uint32_t rtp_timestamp = 0;  // relative to the stream's start
  bool keyframe = false;
  std::vector<uint8_t> data;
};

// `seconds` of a sine at `frequency_hz`, 20 ms Opus frames, mono, 48 kHz.
std::vector<EncodedMediaFrame> EncodeOpusTone(double frequency_hz, double seconds);
// `seconds` of VP8 at `fps`, keyframe every `gop` frames.
std::vector<EncodedMediaFrame> EncodeVp8(int width, int height, int fps, double seconds, int gop);

// `seconds` of H.264 (libx264, constrained baseline, Annex B) at `fps`, IDR every `gop` frames.
std::vector<EncodedMediaFrame> EncodeH264(int width, int height, int fps, double seconds, int gop);

// RFC 6184 packets (payload only) for one Annex B access unit: SPS and PPS together in a
// STAP-A, other NAL units alone when they fit in `max_payload`, else as FU-A fragments.
std::vector<std::vector<uint8_t>> PacketizeH264(const std::vector<uint8_t>& access_unit,
                                                size_t max_payload);

// RFC 7741 packets (payload only) for one frame: descriptor byte S=1 on the first, at most
// `max_payload` bytes of VP8 data each.
std::vector<std::vector<uint8_t>> PacketizeVp8(const std::vector<uint8_t>& frame,
                                               size_t max_payload);

// Runs a command, returns its exit status and stdout.
int RunCommand(const std::string& command, std::string* output);

// Energy ratio of `frequency_hz` against `other_hz` in `samples` (Goertzel).
double GoertzelPower(const std::vector<float>& samples, double frequency_hz, int sample_rate);

// Decodes every Opus packet of the `nth` audio stream (0: the first) of a media file
// (libavformat demux, libopus decode) into mono float samples.
std::vector<float> DecodeOpusTrack(const std::string& path, int nth = 0);

}  // namespace mgw::rec::testing
