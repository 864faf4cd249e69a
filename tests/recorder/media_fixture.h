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

// `seconds` of a sine at `frequency_hz`, 20 ms Opus frames, mono, 48 kHz; silence before
// `onset_seconds` (the sine starts there, at phase 0).
std::vector<EncodedMediaFrame> EncodeOpusTone(double frequency_hz, double seconds,
                                              double onset_seconds = 0);
// The libopus encoder's delay in samples at 48 kHz (what EncodeOpusTone's output lags its input
// by once decoded).
int OpusEncoderLookahead();
// `seconds` of VP8 at `fps`, keyframe every `gop` frames. With `flash_frame` >= 0 the picture is
// uniformly dark before that frame and uniformly bright from it on (a marker for A/V sync; that
// frame is a keyframe).
std::vector<EncodedMediaFrame> EncodeVp8(int width, int height, int fps, double seconds, int gop,
                                         int flash_frame = -1);

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

// File time (seconds, from the packets' timestamps) of the first decoded sample of the `nth` audio
// stream whose magnitude reaches `threshold` (full scale 1.0), less `lookahead_samples`; negative
// when there is none.
double ToneOnsetSeconds(const std::string& path, int nth, float threshold, int lookahead_samples);
// File time of the first frame of the `nth` video stream (libavcodec decode) whose mean luma is
// above 128; negative when there is none.
double BrightFrameSeconds(const std::string& path, int nth);

}  // namespace mgw::rec::testing
