#pragma once

// Publisher streams of one worker and the ingress index over them: every SSRC a participant sends
// from (media, RTX, or RTCP-only) maps in O(1) to its participant and, for media, to the stream
// and simulcast encoding. Streams live in a pool addressed by StreamId; the SSRC index is a
// fixed-capacity open-addressing map, so lookups never allocate.

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "mgw/dp/flat_hash_map.h"
#include "mgw/dp/interval_limiter.h"
#include "mgw/dp/media_config.h"
#include "mgw/dp/packet_cache.h"
#include "mgw/dp/receive_stats.h"

namespace mgw::dp {

using StreamId = uint32_t;
inline constexpr uint32_t kInvalidIndex = UINT32_MAX;

enum class SsrcRole : uint8_t {
  kMedia,     // an encoding's media SSRC
  kRtx,       // an encoding's RFC 4588 SSRC
  kRtcpOnly,  // identifies a participant's RTCP (it receives, or reports from another SSRC)
};

struct SsrcBinding {
  uint32_t participant = kInvalidIndex;  // ParticipantTable index
  StreamId stream = kInvalidIndex;       // kInvalidIndex for kRtcpOnly
  uint8_t encoding = 0;
  SsrcRole role = SsrcRole::kMedia;
};

// Ingress state of one simulcast encoding (or the single encoding of audio / plain video).
struct EncodingState {
  EncodingConfig config;
  ReceiveStats stats;
  std::unique_ptr<PacketCache> cache;  // null when NACKs are not answered for this kind
  IntervalLimiter keyframe_limiter;
  uint32_t waiting_legs = 0;     // legs waiting for a keyframe of this encoding
  uint8_t fir_seq = 0;           // our FIR command sequence number toward the publisher
  bool keyframe_wanted = false;  // a keyframe request should go out at the next Poll
  bool active = false;           // packets arrived within the activity timeout
};

struct PublisherStream {
  uint32_t participant = kInvalidIndex;
  MediaKind kind = MediaKind::kAudio;
  SourceConfig config;
  std::array<EncodingState, kMaxSimulcastEncodings> encodings;
  bool used = false;

  size_t encoding_count() const { return config.encoding_count; }
};

struct StreamTableConfig {
  uint32_t max_streams = 8192;
  uint32_t max_ssrcs = 32768;
  PacketCacheConfig video_cache{};
  PacketCacheConfig audio_cache{0, 0, 0};  // capacity 0: audio is not cached
  uint64_t keyframe_request_interval_us = 500'000;
};

class StreamTable {
 public:
  explicit StreamTable(const StreamTableConfig& config);

  // Adds `source` of `participant` and binds its SSRCs. Throws ConfigError on a duplicate SSRC,
  // bad encoding count, or a full table; nothing is changed then.
  StreamId Add(uint32_t participant, MediaKind kind, const SourceConfig& source);
  void Remove(StreamId id);

  // Binds an RTCP-only SSRC to a participant; throws ConfigError when the SSRC is taken.
  void BindRtcpSsrc(uint32_t participant, uint32_t ssrc);
  void UnbindSsrc(uint32_t ssrc) { ssrcs_.Erase(ssrc); }

  const SsrcBinding* Lookup(uint32_t ssrc) const { return ssrcs_.Find(ssrc); }
  void PrefetchLookup(uint32_t ssrc) const { ssrcs_.Prefetch(ssrc); }

  PublisherStream& at(StreamId id) { return streams_[id]; }
  const PublisherStream& at(StreamId id) const { return streams_[id]; }
  // Upper bound on StreamIds in use, for iterating (skip !used entries).
  size_t slot_count() const { return streams_.size(); }
  size_t size() const { return size_; }
  size_t ssrc_count() const { return ssrcs_.size(); }

 private:
  StreamTableConfig config_;
  std::vector<PublisherStream> streams_;  // grows at configuration time only
  std::vector<StreamId> free_;
  size_t size_ = 0;
  FlatHashMap<uint32_t, SsrcBinding> ssrcs_;
};

}  // namespace mgw::dp
