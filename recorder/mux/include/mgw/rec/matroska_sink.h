#pragma once

// MediaSink writing Matroska (WebM when every stream is Opus or VP8) with libavformat, copying
// frames without transcoding. The output is append-only: the muxer is told the file cannot seek,
// so it never goes back to patch sizes, cues or the duration; every byte, once written, is final.
// That is what lets the uploader stream the file while it grows, and what makes a SIGKILLed
// recorder leave a playable file: clusters are closed every `cluster_ms` and flushed to the file
// at once, so at most the last cluster is lost. The price is a file without a Duration element
// and without cues; the manifest carries the duration.

#include <memory>
#include <string>

#include "mgw/rec/media_sink.h"

namespace mgw::rec {

class MatroskaSink final : public MediaSink {
 public:
  struct Options {
    std::string path;
    int cluster_ms = 1000;
    bool webm = false;  // "webm" muxer (Opus/VP8 only) instead of "matroska"
  };

  explicit MatroskaSink(Options options);
  ~MatroskaSink() override;
  MatroskaSink(const MatroskaSink&) = delete;
  MatroskaSink& operator=(const MatroskaSink&) = delete;

  int AddStream(const SinkStream& stream) override;
  bool WriteFrame(int stream, int64_t pts, bool keyframe, std::span<const uint8_t> data) override;
  bool Close() override;

  // The last libavformat error, for logs ("" when none).
  const std::string& error() const { return error_; }
  // Bytes handed to the file so far.
  int64_t bytes_written() const;

 private:
  struct State;
  bool OpenFile();
  bool Fail(const std::string& what, int code);

  Options options_;
  std::unique_ptr<State> state_;
  std::string error_;
};

// An OpusHead (RFC 7845 section 5.1) for Matroska's CodecPrivate: version 1, `channels`, no
// pre-skip (RTP carries none), 48 kHz, gain 0, mapping family 0.
std::vector<uint8_t> OpusHead(int channels);

}  // namespace mgw::rec
