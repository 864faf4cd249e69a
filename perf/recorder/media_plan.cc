#include "media_plan.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "media_fixture.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
}

namespace mgw::recbench {
namespace {

// libvpx VP8 as a WebRTC sender makes it (realtime, no lag), at `kbps`. The picture is noise
// moving over a gradient, so the encoder has to spend its bitrate (the recorder tests' smooth
// gradient compresses to a few kbit/s, one small packet per frame: not a camera's load).
std::vector<mgw::rec::testing::EncodedMediaFrame> EncodeVp8AtBitrate(int width, int height, int fps,
                                                                     double seconds, int gop,
                                                                     int kbps) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libvpx");
  if (!codec) throw std::runtime_error("no libvpx encoder in libavcodec");
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  ctx->width = width;
  ctx->height = height;
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->time_base = AVRational{1, fps};
  ctx->framerate = AVRational{fps, 1};
  ctx->gop_size = gop;
  ctx->keyint_min = gop;
  ctx->bit_rate = int64_t{kbps} * 1000;
  ctx->rc_max_rate = ctx->bit_rate;
  ctx->rc_buffer_size = static_cast<int>(ctx->bit_rate);
  av_opt_set(ctx->priv_data, "deadline", "realtime", 0);
  av_opt_set_int(ctx->priv_data, "cpu-used", 8, 0);
  av_opt_set_int(ctx->priv_data, "lag-in-frames", 0, 0);
  if (avcodec_open2(ctx, codec, nullptr) < 0) throw std::runtime_error("avcodec_open2 libvpx");
  AVFrame* frame = av_frame_alloc();
  frame->format = ctx->pix_fmt;
  frame->width = width;
  frame->height = height;
  av_frame_get_buffer(frame, 0);
  AVPacket* pkt = av_packet_alloc();
  std::vector<mgw::rec::testing::EncodedMediaFrame> frames;
  const auto step = static_cast<uint32_t>(90000 / fps);
  auto drain = [&] {
    while (avcodec_receive_packet(ctx, pkt) == 0) {
      frames.push_back({static_cast<uint32_t>(pkt->pts) * step,
                        (pkt->flags & AV_PKT_FLAG_KEY) != 0,
                        {pkt->data, pkt->data + pkt->size}});
      av_packet_unref(pkt);
    }
  };
  uint32_t noise = 12345;
  const int count = static_cast<int>(seconds * fps);
  for (int f = 0; f < count; ++f) {
    av_frame_make_writable(frame);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        noise = noise * 1664525u + 1013904223u;
        const bool in_box =
            ((x + 4 * f) % width) < width / 4 && ((y + 2 * f) % height) < height / 4;
        frame->data[0][y * frame->linesize[0] + x] =
            static_cast<uint8_t>((x + y + 3 * f) + (in_box ? (noise >> 27) : 0));
      }
    }
    for (int y = 0; y < height / 2; ++y) {
      for (int x = 0; x < width / 2; ++x) {
        frame->data[1][y * frame->linesize[1] + x] = static_cast<uint8_t>(128 + y + f);
        frame->data[2][y * frame->linesize[2] + x] = static_cast<uint8_t>(64 + x);
      }
    }
    frame->pts = f;
    frame->pict_type = f % gop == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
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

MediaPlan BuildMediaPlan(double loop_seconds, int width, int height, int fps, int gop,
                         int video_kbps) {
  namespace rt = mgw::rec::testing;
  MediaPlan plan;
  plan.loop_seconds = loop_seconds;
  plan.fps = fps;
  for (const rt::EncodedMediaFrame& f : rt::EncodeOpusTone(440, loop_seconds)) {
    plan.packets.push_back({.offset_us = int64_t{f.rtp_timestamp} * 1'000'000 / 48'000,
                            .video = false,
                            .frame_start = true,
                            .marker = false,
                            .rtp_timestamp = f.rtp_timestamp,
                            .payload = f.data});
    ++plan.audio_frames;
    plan.payload_bytes += f.data.size();
  }
  std::vector<rt::EncodedMediaFrame> video =
      EncodeVp8AtBitrate(width, height, fps, loop_seconds, gop, video_kbps);
  if (video.empty() || !video.front().keyframe) {
    throw std::runtime_error("the VP8 encoder did not start with a keyframe");
  }
  for (const rt::EncodedMediaFrame& f : video) {
    const std::vector<std::vector<uint8_t>> parts = rt::PacketizeVp8(f.data, kMaxVideoPayload);
    for (size_t i = 0; i < parts.size(); ++i) {
      plan.packets.push_back({.offset_us = int64_t{f.rtp_timestamp} * 1'000'000 / 90'000,
                              .video = true,
                              .frame_start = i == 0,
                              .marker = i + 1 == parts.size(),
                              .rtp_timestamp = f.rtp_timestamp,
                              .payload = parts[i]});
      plan.payload_bytes += parts[i].size();
    }
    ++plan.video_frames;
  }
  std::stable_sort(
      plan.packets.begin(), plan.packets.end(),
      [](const TemplatePacket& a, const TemplatePacket& b) { return a.offset_us < b.offset_us; });
  return plan;
}

}  // namespace mgw::recbench
