#include "mgw/rec/matroska_sink.h"

#include <cstring>
#include <span>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
}

namespace mgw::rec {

namespace {
// Frame buffers come from two pools (audio frames, most video delta frames) instead of three
// allocations per frame in av_new_packet (data, AVBuffer, AVBufferRef: the pool leaves one).
// Larger frames (keyframes) are allocated as before. Sizes include the input padding.
constexpr int kSmallFrameBytes = 512;
constexpr int kLargeFrameBytes = 8192;
}  // namespace

struct MatroskaSink::State {
  AVFormatContext* context = nullptr;
  std::vector<uint32_t> clock_rates;
  AVPacket* packet = nullptr;
  AVBufferPool* small_frames = av_buffer_pool_init(kSmallFrameBytes, av_buffer_alloc);
  AVBufferPool* large_frames = av_buffer_pool_init(kLargeFrameBytes, av_buffer_alloc);
  bool header_written = false;
  bool failed = false;
  bool closed = false;

  ~State() {
    if (packet) av_packet_free(&packet);
    if (context) {
      if (context->pb) avio_closep(&context->pb);
      avformat_free_context(context);
    }
    // Buffers still referenced (none once the context is freed) keep their pool until returned.
    av_buffer_pool_uninit(&small_frames);
    av_buffer_pool_uninit(&large_frames);
  }

  // A packet holding a copy of `data` followed by zeroed padding, as the muxer expects.
  int Fill(AVPacket* pkt, std::span<const uint8_t> data) {
    const int size = static_cast<int>(data.size());
    AVBufferPool* pool = size + AV_INPUT_BUFFER_PADDING_SIZE <= kSmallFrameBytes   ? small_frames
                         : size + AV_INPUT_BUFFER_PADDING_SIZE <= kLargeFrameBytes ? large_frames
                                                                                   : nullptr;
    if (pool == nullptr) {
      const int rc = av_new_packet(pkt, size);
      if (rc < 0) return rc;
    } else {
      pkt->buf = av_buffer_pool_get(pool);
      if (pkt->buf == nullptr) return AVERROR(ENOMEM);
      pkt->data = pkt->buf->data;
      pkt->size = size;
      std::memset(pkt->data + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    }
    if (size > 0) std::memcpy(pkt->data, data.data(), data.size());
    return 0;
  }
};

std::vector<uint8_t> OpusHead(int channels) {
  std::vector<uint8_t> head = {'O',
                               'p',
                               'u',
                               's',
                               'H',
                               'e',
                               'a',
                               'd',
                               1,                               // version
                               static_cast<uint8_t>(channels),  // output channels
                               0,
                               0,  // pre-skip (LE)
                               0x80,
                               0xBB,
                               0,
                               0,  // 48000 Hz (LE)
                               0,
                               0,   // output gain
                               0};  // mapping family 0
  return head;
}

MatroskaSink::MatroskaSink(Options options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {
  const char* format = options_.webm ? "webm" : "matroska";
  const int rc =
      avformat_alloc_output_context2(&state_->context, nullptr, format, options_.path.c_str());
  if (rc < 0 || !state_->context) Fail("avformat_alloc_output_context2", rc);
  state_->packet = av_packet_alloc();
}

MatroskaSink::~MatroskaSink() { Close(); }

bool MatroskaSink::Fail(const std::string& what, int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  error_ = what + ": " + text;
  state_->failed = true;
  return false;
}

int MatroskaSink::AddStream(const SinkStream& stream) {
  if (state_->failed || state_->header_written || !state_->context) return -1;
  AVStream* st = avformat_new_stream(state_->context, nullptr);
  if (!st) return -1;
  AVCodecParameters* par = st->codecpar;
  std::vector<uint8_t> extradata = stream.extradata;
  switch (stream.codec) {
    case Codec::kOpus:
      par->codec_type = AVMEDIA_TYPE_AUDIO;
      par->codec_id = AV_CODEC_ID_OPUS;
      par->sample_rate = 48000;
      av_channel_layout_default(&par->ch_layout, stream.channels);
      if (extradata.empty()) extradata = OpusHead(stream.channels);
      break;
    case Codec::kVp8:
      par->codec_type = AVMEDIA_TYPE_VIDEO;
      par->codec_id = AV_CODEC_ID_VP8;
      break;
    case Codec::kH264:
      par->codec_type = AVMEDIA_TYPE_VIDEO;
      par->codec_id = AV_CODEC_ID_H264;
      break;
  }
  if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
    par->width = stream.width;
    par->height = stream.height;
  }
  if (!extradata.empty()) {
    par->extradata =
        static_cast<uint8_t*>(av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!par->extradata) return -1;
    std::memcpy(par->extradata, extradata.data(), extradata.size());
    par->extradata_size = static_cast<int>(extradata.size());
  }
  st->time_base = AVRational{1, static_cast<int>(stream.clock_rate)};
  if (!stream.label.empty()) av_dict_set(&st->metadata, "title", stream.label.c_str(), 0);
  // The A/V alignment applied, so a player or an editor can see (and undo) it.
  const std::string offset = std::to_string(stream.applied_offset.count());
  av_dict_set(&st->metadata, "MGW_AV_OFFSET_US", offset.c_str(), 0);
  state_->clock_rates.push_back(stream.clock_rate);
  return st->index;
}

bool MatroskaSink::OpenFile() {
  AVFormatContext* ctx = state_->context;
  int rc = avio_open(&ctx->pb, options_.path.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) return Fail("avio_open " + options_.path, rc);
  // Append-only: with a non-seekable output the muxer writes every element once, in order.
  ctx->pb->seekable = 0;
  // Every packet handed to the muxer reaches the file at once; with clusters closed every
  // cluster_ms that bounds what a crash can lose.
  ctx->flags |= AVFMT_FLAG_FLUSH_PACKETS;
  // Don't let a silent stream hold the others in the interleaving queue for long.
  ctx->max_interleave_delta = 500'000;
  AVDictionary* opts = nullptr;
  av_dict_set_int(&opts, "cluster_time_limit", options_.cluster_ms, 0);
  av_dict_set(&opts, "live", "1", 0);
  av_dict_set(&opts, "flush_packets", "1", 0);
  rc = avformat_write_header(ctx, &opts);
  av_dict_free(&opts);
  if (rc < 0) return Fail("avformat_write_header", rc);
  state_->header_written = true;
  return true;
}

bool MatroskaSink::WriteFrame(int stream, int64_t pts, bool keyframe,
                              std::span<const uint8_t> data) {
  if (state_->failed || state_->closed || !state_->context) return false;
  if (stream < 0 || static_cast<size_t>(stream) >= state_->clock_rates.size()) return false;
  if (!state_->header_written && !OpenFile()) return false;
  AVPacket* pkt = state_->packet;
  av_packet_unref(pkt);
  int rc = state_->Fill(pkt, data);
  if (rc < 0) return Fail("av_new_packet", rc);
  AVStream* st = state_->context->streams[stream];
  const AVRational source{1, static_cast<int>(state_->clock_rates[static_cast<size_t>(stream)])};
  pkt->stream_index = stream;
  // RTP carries no decode timestamps; WebRTC encoders do not reorder frames, so dts = pts.
  pkt->pts = av_rescale_q(pts, source, st->time_base);
  pkt->dts = pkt->pts;
  if (keyframe) pkt->flags |= AV_PKT_FLAG_KEY;
  rc = av_interleaved_write_frame(state_->context, pkt);
  if (rc < 0) {
    // One bad frame (e.g. a timestamp the muxer refuses) is skipped; the file goes on.
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(rc, text, sizeof(text));
    error_ = std::string("av_interleaved_write_frame: ") + text;
    return false;
  }
  return true;
}

int64_t MatroskaSink::bytes_written() const {
  if (!state_->context || !state_->context->pb) return 0;
  return avio_tell(state_->context->pb);
}

bool MatroskaSink::Close() {
  if (state_->closed) return !state_->failed;
  state_->closed = true;
  if (!state_->context) return false;
  if (!state_->header_written) {
    // Nothing was ever written: no file at all rather than a header without frames.
    if (!state_->failed) error_ = "no frame was written";
    return false;
  }
  int rc = av_write_trailer(state_->context);
  if (rc < 0) Fail("av_write_trailer", rc);
  rc = avio_closep(&state_->context->pb);
  if (rc < 0) Fail("avio_closep", rc);
  return !state_->failed;
}

}  // namespace mgw::rec
