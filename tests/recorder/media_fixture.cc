#include "media_fixture.h"

#include <opus/opus.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
}

namespace mgw::rec::testing {

std::vector<EncodedMediaFrame> EncodeOpusTone(double frequency_hz, double seconds,
                                              double onset_seconds) {
  int error = 0;
  OpusEncoder* encoder = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &error);
  if (error != OPUS_OK) throw std::runtime_error("opus_encoder_create");
  std::vector<EncodedMediaFrame> frames;
  const int frame_samples = 960;
  const int count = static_cast<int>(seconds * 50);
  std::vector<int16_t> pcm(frame_samples);
  std::vector<uint8_t> out(1500);
  for (int f = 0; f < count; ++f) {
    for (int i = 0; i < frame_samples; ++i) {
      const double t = static_cast<double>(f * frame_samples + i) / 48000.0 - onset_seconds;
      pcm[static_cast<size_t>(i)] =
          t < 0 ? int16_t{0} : static_cast<int16_t>(10000 * std::sin(2 * M_PI * frequency_hz * t));
    }
    const int n =
        opus_encode(encoder, pcm.data(), frame_samples, out.data(), static_cast<int>(out.size()));
    if (n < 0) throw std::runtime_error("opus_encode");
    frames.push_back(
        {static_cast<uint32_t>(f * frame_samples), true, {out.begin(), out.begin() + n}});
  }
  opus_encoder_destroy(encoder);
  return frames;
}

int OpusEncoderLookahead() {
  int error = 0;
  OpusEncoder* encoder = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &error);
  if (error != OPUS_OK) throw std::runtime_error("opus_encoder_create");
  opus_int32 lookahead = 0;
  opus_encoder_ctl(encoder, OPUS_GET_LOOKAHEAD(&lookahead));
  opus_encoder_destroy(encoder);
  return lookahead;
}

namespace {

std::vector<EncodedMediaFrame> EncodeVideo(const char* encoder, int width, int height, int fps,
                                           double seconds, int gop, int flash_frame = -1) {
  const AVCodec* codec = avcodec_find_encoder_by_name(encoder);
  if (!codec) throw std::runtime_error(std::string("no encoder in libavcodec: ") + encoder);
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  ctx->width = width;
  ctx->height = height;
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->time_base = AVRational{1, fps};
  ctx->framerate = AVRational{fps, 1};
  ctx->gop_size = gop;
  ctx->keyint_min = gop;
  ctx->bit_rate = 300'000;
  if (std::string(encoder) == "libvpx") {
    av_opt_set(ctx->priv_data, "deadline", "realtime", 0);
    av_opt_set_int(ctx->priv_data, "cpu-used", 8, 0);
    av_opt_set_int(ctx->priv_data, "lag-in-frames", 0, 0);
  } else {
    // What WebRTC senders use: no B-frames, parameter sets repeated before each IDR.
    ctx->max_b_frames = 0;
    ctx->profile = FF_PROFILE_H264_CONSTRAINED_BASELINE;
    av_opt_set(ctx->priv_data, "preset", "ultrafast", 0);
    av_opt_set(ctx->priv_data, "tune", "zerolatency", 0);
    av_opt_set(ctx->priv_data, "x264-params", "repeat-headers=1:annexb=1", 0);
  }
  if (avcodec_open2(ctx, codec, nullptr) < 0) throw std::runtime_error("avcodec_open2");
  AVFrame* frame = av_frame_alloc();
  frame->format = ctx->pix_fmt;
  frame->width = width;
  frame->height = height;
  av_frame_get_buffer(frame, 0);
  AVPacket* pkt = av_packet_alloc();
  std::vector<EncodedMediaFrame> frames;
  const uint32_t step = static_cast<uint32_t>(90000 / fps);
  auto drain = [&] {
    while (avcodec_receive_packet(ctx, pkt) == 0) {
      frames.push_back({static_cast<uint32_t>(pkt->pts) * step,
                        (pkt->flags & AV_PKT_FLAG_KEY) != 0,
                        {pkt->data, pkt->data + pkt->size}});
      av_packet_unref(pkt);
    }
  };
  const int count = static_cast<int>(seconds * fps);
  for (int f = 0; f < count; ++f) {
    av_frame_make_writable(frame);
    const uint8_t flat_luma = f < flash_frame ? 30 : 220;
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        frame->data[0][y * frame->linesize[0] + x] =
            flash_frame >= 0 ? flat_luma : static_cast<uint8_t>(x + y + 3 * f);
      }
    }
    for (int y = 0; y < height / 2; ++y) {
      for (int x = 0; x < width / 2; ++x) {
        frame->data[1][y * frame->linesize[1] + x] =
            flash_frame >= 0 ? uint8_t{128} : static_cast<uint8_t>(128 + y);
        frame->data[2][y * frame->linesize[2] + x] =
            flash_frame >= 0 ? uint8_t{128} : static_cast<uint8_t>(64 + x);
      }
    }
    frame->pts = f;
    // Force the GOP: libvpx in realtime mode otherwise decides on its own.
    // The flash is a keyframe too, so it is coded at full quality at once.
    frame->pict_type = f % gop == 0 || f == flash_frame ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    avcodec_send_frame(ctx, frame);
    drain();
  }
  avcodec_send_frame(ctx, nullptr);
  drain();
  av_packet_free(&pkt);
  av_frame_free(&frame);
  avcodec_free_context(&ctx);
  return frames;
}

}  // namespace

std::vector<EncodedMediaFrame> EncodeVp8(int width, int height, int fps, double seconds, int gop,
                                         int flash_frame) {
  return EncodeVideo("libvpx", width, height, fps, seconds, gop, flash_frame);
}

std::vector<EncodedMediaFrame> EncodeH264(int width, int height, int fps, double seconds, int gop) {
  return EncodeVideo("libx264", width, height, fps, seconds, gop);
}

std::vector<std::vector<uint8_t>> PacketizeH264(const std::vector<uint8_t>& access_unit,
                                                size_t max_payload) {
  // Split the Annex B stream at its start codes.
  std::vector<std::pair<size_t, size_t>> nals;
  size_t i = 0, start = std::string::npos;
  while (i + 3 <= access_unit.size()) {
    if (access_unit[i] == 0 && access_unit[i + 1] == 0 && access_unit[i + 2] == 1) {
      if (start != std::string::npos) {
        size_t end = i;
        while (end > start && access_unit[end - 1] == 0) --end;
        nals.emplace_back(start, end - start);
      }
      i += 3;
      start = i;
    } else {
      ++i;
    }
  }
  if (start != std::string::npos) nals.emplace_back(start, access_unit.size() - start);
  std::vector<std::vector<uint8_t>> packets;
  std::vector<uint8_t> stap = {0x78};
  for (const auto& [offset, size] : nals) {
    const uint8_t* nal = access_unit.data() + offset;
    const uint8_t type = nal[0] & 0x1F;
    if (type == 7 || type == 8) {
      stap.push_back(static_cast<uint8_t>(size >> 8));
      stap.push_back(static_cast<uint8_t>(size));
      stap.insert(stap.end(), nal, nal + size);
      continue;
    }
    if (type == 9 || type == 6) continue;  // access unit delimiters and SEI: not needed
    if (stap.size() > 1) {
      packets.push_back(stap);
      stap.resize(1);
    }
    if (size <= max_payload) {
      packets.emplace_back(nal, nal + size);
      continue;
    }
    for (size_t pos = 1; pos < size; pos += max_payload) {
      const size_t n = std::min(max_payload, size - pos);
      std::vector<uint8_t> fu = {
          static_cast<uint8_t>((nal[0] & 0xE0) | 28),
          static_cast<uint8_t>((pos == 1 ? 0x80 : 0) | (pos + n == size ? 0x40 : 0) | type)};
      fu.insert(fu.end(), nal + pos, nal + pos + n);
      packets.push_back(std::move(fu));
    }
  }
  return packets;
}

std::vector<std::vector<uint8_t>> PacketizeVp8(const std::vector<uint8_t>& frame,
                                               size_t max_payload) {
  std::vector<std::vector<uint8_t>> packets;
  for (size_t offset = 0; offset < frame.size(); offset += max_payload) {
    const size_t n = std::min(max_payload, frame.size() - offset);
    std::vector<uint8_t> p = {static_cast<uint8_t>(offset == 0 ? 0x10 : 0x00)};
    p.insert(p.end(), frame.begin() + static_cast<std::ptrdiff_t>(offset),
             frame.begin() + static_cast<std::ptrdiff_t>(offset + n));
    packets.push_back(std::move(p));
  }
  return packets;
}

int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output->append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double GoertzelPower(const std::vector<float>& samples, double frequency_hz, int sample_rate) {
  const double coefficient = 2 * std::cos(2 * M_PI * frequency_hz / sample_rate);
  double s1 = 0, s2 = 0;
  for (float x : samples) {
    const double s = x + coefficient * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

namespace {

// The index of the `nth` stream of `type` in `format`, or -1.
int NthStream(AVFormatContext* format, AVMediaType type, int nth) {
  for (unsigned i = 0, seen = 0; i < format->nb_streams; ++i) {
    if (format->streams[i]->codecpar->codec_type != type) continue;
    if (static_cast<int>(seen++) == nth) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

std::vector<float> DecodeOpusTrack(const std::string& path, int nth) {
  AVFormatContext* format = nullptr;
  if (avformat_open_input(&format, path.c_str(), nullptr, nullptr) < 0) return {};
  avformat_find_stream_info(format, nullptr);
  const int audio = NthStream(format, AVMEDIA_TYPE_AUDIO, nth);
  std::vector<float> samples;
  int error = 0;
  OpusDecoder* decoder = opus_decoder_create(48000, 1, &error);
  AVPacket* pkt = av_packet_alloc();
  std::vector<float> pcm(5760);
  while (audio >= 0 && av_read_frame(format, pkt) >= 0) {
    if (pkt->stream_index == audio) {
      const int n = opus_decode_float(decoder, pkt->data, pkt->size, pcm.data(), 5760, 0);
      if (n > 0) samples.insert(samples.end(), pcm.begin(), pcm.begin() + n);
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  opus_decoder_destroy(decoder);
  avformat_close_input(&format);
  return samples;
}

double ToneOnsetSeconds(const std::string& path, int nth, float threshold, int lookahead_samples) {
  AVFormatContext* format = nullptr;
  if (avformat_open_input(&format, path.c_str(), nullptr, nullptr) < 0) return -1;
  avformat_find_stream_info(format, nullptr);
  const int audio = NthStream(format, AVMEDIA_TYPE_AUDIO, nth);
  int error = 0;
  OpusDecoder* decoder = opus_decoder_create(48000, 1, &error);
  AVPacket* pkt = av_packet_alloc();
  std::vector<float> pcm(5760);
  double onset = -1;
  // Decoded samples run continuously from the first packet on (no loss in the streams this is
  // used for), so a sample's time is the first packet's timestamp plus its index.
  double first_pts = -1;
  int64_t decoded = 0;
  while (audio >= 0 && onset < 0 && av_read_frame(format, pkt) >= 0) {
    if (pkt->stream_index == audio) {
      const AVRational tb = format->streams[audio]->time_base;
      if (first_pts < 0) first_pts = static_cast<double>(pkt->pts) * av_q2d(tb);
      const int n = opus_decode_float(decoder, pkt->data, pkt->size, pcm.data(), 5760, 0);
      for (int i = 0; i < n && onset < 0; ++i) {
        if (std::fabs(pcm[static_cast<size_t>(i)]) >= threshold) {
          onset = first_pts + static_cast<double>(decoded + i - lookahead_samples) / 48000.0;
        }
      }
      if (n > 0) decoded += n;
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  opus_decoder_destroy(decoder);
  avformat_close_input(&format);
  return onset;
}

double BrightFrameSeconds(const std::string& path, int nth) {
  AVFormatContext* format = nullptr;
  if (avformat_open_input(&format, path.c_str(), nullptr, nullptr) < 0) return -1;
  avformat_find_stream_info(format, nullptr);
  const int video = NthStream(format, AVMEDIA_TYPE_VIDEO, nth);
  if (video < 0) {
    avformat_close_input(&format);
    return -1;
  }
  const AVCodecParameters* par = format->streams[video]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(ctx, par);
  ctx->pkt_timebase = format->streams[video]->time_base;
  double found = -1;
  if (avcodec_open2(ctx, codec, nullptr) == 0) {
    AVPacket* pkt = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    auto drain = [&] {
      while (found < 0 && avcodec_receive_frame(ctx, frame) == 0) {
        int64_t sum = 0;
        for (int y = 0; y < frame->height; ++y) {
          for (int x = 0; x < frame->width; ++x) sum += frame->data[0][y * frame->linesize[0] + x];
        }
        const double mean = static_cast<double>(sum) / (frame->width * frame->height);
        if (mean > 128) {
          found = static_cast<double>(frame->best_effort_timestamp) *
                  av_q2d(format->streams[video]->time_base);
        }
        av_frame_unref(frame);
      }
    };
    while (found < 0 && av_read_frame(format, pkt) >= 0) {
      if (pkt->stream_index == video && avcodec_send_packet(ctx, pkt) == 0) drain();
      av_packet_unref(pkt);
    }
    avcodec_send_packet(ctx, nullptr);
    drain();
    av_packet_free(&pkt);
    av_frame_free(&frame);
  }
  avcodec_free_context(&ctx);
  avformat_close_input(&format);
  return found;
}

}  // namespace mgw::rec::testing
