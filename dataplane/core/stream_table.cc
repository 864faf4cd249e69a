#include "mgw/dp/stream_table.h"

#include <string>

#include "mgw/dp/config_error.h"

namespace mgw::dp {
namespace {

std::string SsrcText(uint32_t ssrc) { return "SSRC " + std::to_string(ssrc); }

}  // namespace

StreamTable::StreamTable(const StreamTableConfig& config)
    : config_(config), ssrcs_(config.max_ssrcs) {}

StreamId StreamTable::Add(uint32_t participant, MediaKind kind, const SourceConfig& source) {
  const size_t max_encodings = kind == MediaKind::kAudio ? 1 : kMaxSimulcastEncodings;
  if (source.encoding_count == 0 || source.encoding_count > max_encodings) {
    throw ConfigError("source has " + std::to_string(source.encoding_count) +
                      " encodings; allowed 1.." + std::to_string(max_encodings));
  }
  if (size_ >= config_.max_streams) throw ConfigError("stream table full");

  // Validate every SSRC before touching the index so a failure leaves no partial state.
  std::array<uint32_t, 2 * kMaxSimulcastEncodings> ssrcs{};
  size_t n = 0;
  for (size_t i = 0; i < source.encoding_count; ++i) {
    const EncodingConfig& e = source.encodings[i];
    if (e.ssrc == 0) throw ConfigError("encoding SSRC must not be 0");
    ssrcs[n++] = e.ssrc;
    if (e.rtx_ssrc != 0) ssrcs[n++] = e.rtx_ssrc;
  }
  for (size_t i = 0; i < n; ++i) {
    if (ssrcs_.Contains(ssrcs[i])) throw ConfigError(SsrcText(ssrcs[i]) + " already in use");
    for (size_t j = 0; j < i; ++j) {
      if (ssrcs[i] == ssrcs[j]) throw ConfigError(SsrcText(ssrcs[i]) + " repeated in source");
    }
  }
  if (ssrcs_.size() + n > ssrcs_.max_entries()) throw ConfigError("SSRC index full");

  StreamId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<StreamId>(streams_.size());
    streams_.emplace_back();
  }
  PublisherStream& s = streams_[id];
  s = PublisherStream{};
  s.participant = participant;
  s.kind = kind;
  s.config = source;
  s.used = true;
  const PacketCacheConfig& cache =
      kind == MediaKind::kVideo ? config_.video_cache : config_.audio_cache;
  for (uint8_t i = 0; i < source.encoding_count; ++i) {
    EncodingState& e = s.encodings[i];
    e.config = source.encodings[i];
    e.stats = ReceiveStats(source.clock_rate);
    e.keyframe_limiter = IntervalLimiter(config_.keyframe_request_interval_us);
    if (cache.capacity > 0) e.cache = std::make_unique<PacketCache>(cache);
    ssrcs_.Insert(e.config.ssrc, SsrcBinding{participant, id, i, SsrcRole::kMedia});
    if (e.config.rtx_ssrc != 0) {
      ssrcs_.Insert(e.config.rtx_ssrc, SsrcBinding{participant, id, i, SsrcRole::kRtx});
    }
  }
  ++size_;
  return id;
}

void StreamTable::Remove(StreamId id) {
  PublisherStream& s = streams_.at(id);
  if (!s.used) return;
  for (size_t i = 0; i < s.config.encoding_count; ++i) {
    ssrcs_.Erase(s.encodings[i].config.ssrc);
    if (s.encodings[i].config.rtx_ssrc != 0) ssrcs_.Erase(s.encodings[i].config.rtx_ssrc);
  }
  s = PublisherStream{};  // frees the packet caches
  free_.push_back(id);
  --size_;
}

void StreamTable::BindRtcpSsrc(uint32_t participant, uint32_t ssrc) {
  if (ssrc == 0) return;
  if (!ssrcs_.Insert(ssrc, SsrcBinding{participant, kInvalidIndex, 0, SsrcRole::kRtcpOnly})) {
    throw ConfigError(SsrcText(ssrc) + " already in use or SSRC index full");
  }
}

}  // namespace mgw::dp
