#include "mgw/rec/recording.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

#include "mgw/rec/av_aligner.h"
#include "mgw/rec/depacketizer.h"

namespace mgw::rec {

namespace {

int64_t TicksToMicros(int64_t ticks, uint32_t clock_rate) {
  return ticks * 1'000'000 / static_cast<int64_t>(clock_rate);
}

int64_t MicrosToTicks(int64_t micros, uint32_t clock_rate) {
  return micros * static_cast<int64_t>(clock_rate) / 1'000'000;
}

}  // namespace

struct Recording::PendingFrame {
  int track = 0;
  uint32_t ssrc = 0;
  uint64_t extended_timestamp = 0;
  TimePoint arrival;
  bool keyframe = false;
  std::vector<uint8_t> data;
  int64_t estimate_us = 0;  // for ordering the replay across tracks
};

// A track's pipeline and its timeline state. It listens to its own jitter buffer and
// depacketizer and hands complete frames to the recording.
class Recording::Track final : public JitterBuffer::Listener, public Depacketizer::Listener {
 public:
  Track(Recording& recording, int track_id, TrackConfig track_config)
      : owner(recording),
        id(track_id),
        config(std::move(track_config)),
        clock_rate(ClockRateOf(config.codec)),
        buffer(recording.options_.jitter, *this),
        depacketizer(MakeDepacketizer(config.codec, *this)) {}

  void OnPacket(const OrderedPacket& packet) override {
    if (ssrcs.empty() || ssrcs.back() != packet.ssrc) {
      if (std::find(ssrcs.begin(), ssrcs.end(), packet.ssrc) == ssrcs.end()) {
        ssrcs.push_back(packet.ssrc);
      }
      owner.clocks_.SetClockRate(packet.ssrc, clock_rate);
    }
    depacketizer->Push(packet);
  }
  void OnGap(uint32_t /*ssrc*/, uint64_t /*first_missing*/, uint64_t count) override {
    depacketizer->OnLoss();
    if (gaps.size() < kMaxGapsListed) {
      gaps.push_back({last_pts >= 0 ? TicksToMicros(last_pts, clock_rate) : 0, count});
    }
  }
  void OnResync(uint32_t /*ssrc*/) override { depacketizer->OnLoss(); }
  void OnSsrcChange(uint32_t old_ssrc, uint32_t new_ssrc) override {
    depacketizer->OnLoss();  // a new encoder: video must restart on its keyframe
    owner.ssrc_changes_.push_back(
        {id, last_pts >= 0 ? TicksToMicros(last_pts, clock_rate) : 0, old_ssrc, new_ssrc});
  }
  void OnFrame(const EncodedFrame& frame) override { owner.OnTrackFrame(*this, frame); }
  void OnKeyframeNeeded() override { RequestKeyframe(owner.now_); }

  void RequestKeyframe(TimePoint now) {
    if (KindOf(config.codec) != MediaKind::kVideo || !owner.listener_) return;
    const auto ssrc = buffer.ssrc();
    if (!ssrc) return;  // nobody to ask yet; Poll repeats once the source validated
    if (requested && now - last_request < owner.options_.keyframe_request_interval) return;
    requested = true;
    last_request = now;
    ++keyframe_requests;
    owner.listener_->OnKeyframeNeeded(id, *ssrc);
  }

  void Write(uint32_t ssrc, uint64_t extended_timestamp, TimePoint arrival, bool keyframe,
             std::span<const uint8_t> data) {
    if (ssrc != base_ssrc) {
      // A new SSRC has its own random timestamp base: continue the timeline from the last frame,
      // spaced by how far apart the two frames arrived.
      const int64_t gap = MicrosToTicks(
          std::chrono::duration_cast<std::chrono::microseconds>(arrival - last_arrival).count(),
          clock_rate);
      base_pts = last_pts + std::max<int64_t>(1, gap);
      base_extended = extended_timestamp;
      base_ssrc = ssrc;
    }
    int64_t pts = base_pts + static_cast<int64_t>(extended_timestamp - base_extended);
    if (last_pts >= 0 && pts <= last_pts) pts = last_pts + 1;  // a container never goes back
    if (last_pts >= 0) last_delta = pts - last_pts;
    if (!owner.sink_.WriteFrame(stream, pts, keyframe, data)) owner.sink_ok_ = false;
    if (mix_source >= 0) owner.mixer_->Push(mix_source, pts, data);
    ++frames_written;
    last_pts = pts;
    last_arrival = arrival;
  }

  Recording& owner;
  int id;
  TrackConfig config;
  uint32_t clock_rate;
  JitterBuffer buffer;
  std::unique_ptr<Depacketizer> depacketizer;

  // Before the file opens: the first usable frame and the configuration it carried.
  bool ready = false;
  uint32_t first_ssrc = 0;
  uint64_t first_extended_timestamp = 0;
  TimePoint first_arrival;
  std::vector<uint8_t> extradata;
  int width = 0;
  int height = 0;

  // In the file.
  int stream = -1;
  int mix_source = -1;  // in the mixer, when audio is mixed
  int64_t start_us = 0;
  int64_t correction_us = 0;
  bool sender_report_aligned = false;
  uint32_t base_ssrc = 0;
  uint64_t base_extended = 0;
  int64_t base_pts = 0;
  int64_t last_pts = -1;
  int64_t last_delta = 0;
  TimePoint last_arrival;
  uint64_t frames_written = 0;
  uint64_t frames_not_in_file = 0;

  std::vector<uint32_t> ssrcs;
  std::vector<GapEvent> gaps;
  bool requested = false;
  TimePoint last_request;
  uint64_t keyframe_requests = 0;
};

// Writes the mixer's frames into the mix stream.
class Recording::MixWriter final : public AudioMixer::Listener {
 public:
  explicit MixWriter(Recording& recording) : owner_(recording) {}
  void OnMixedFrame(int64_t pts, std::span<const uint8_t> data) override {
    if (!owner_.sink_.WriteFrame(owner_.mix_stream_, pts, true, data)) owner_.sink_ok_ = false;
    owner_.mix_end_ = pts + AudioMixer::kFrameSamples;
  }

 private:
  Recording& owner_;
};

Recording::Recording(MediaSink& sink, TimePoint start, const Options& options, Listener* listener)
    : sink_(sink), start_(start), options_(options), listener_(listener), now_(start) {}

Recording::~Recording() = default;

int Recording::AddTrack(const TrackConfig& config) {
  const int id = static_cast<int>(tracks_.size());
  tracks_.push_back(std::make_unique<Track>(*this, id, config));
  return id;
}

void Recording::OnRtp(int track, std::span<const uint8_t> packet, TimePoint now) {
  if (finished_ || track < 0 || static_cast<size_t>(track) >= tracks_.size()) return;
  now_ = now;
  tracks_[static_cast<size_t>(track)]->buffer.Push(packet, now);
  MaybeOpen(now, false);
}

void Recording::OnRtcp(std::span<const uint8_t> compound, TimePoint now) {
  now_ = now;
  clocks_.OnRtcp(compound);
}

void Recording::Poll(TimePoint now) {
  if (finished_) return;
  now_ = now;
  for (auto& track : tracks_) {
    track->buffer.Advance(now);
    if (track->depacketizer->waiting_for_keyframe()) track->RequestKeyframe(now);
  }
  MaybeOpen(now, false);
  RunMix(now);
}

void Recording::RunMix(TimePoint now) {
  if (!mixer_) return;
  // Frames reach the timeline about when they arrived plus the jitter buffer's delay; mix what
  // lies further back than that (and the margin), so nothing still on its way is left out.
  const auto behind = options_.jitter.max_delay + options_.mix_delay;
  const int64_t until_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now - start_ - behind).count();
  if (until_us > 0) mixer_->MixUntil(MicrosToTicks(until_us, AudioMixer::kSampleRate));
}

bool Recording::Finish(TimePoint now) {
  if (finished_) return sink_ok_;
  now_ = now;
  for (auto& track : tracks_) {
    track->buffer.Flush();
    track->depacketizer->Finish();
  }
  MaybeOpen(now, true);
  if (mixer_) mixer_->Flush();
  finished_ = true;
  if (!sink_.Close()) sink_ok_ = false;
  return sink_ok_;
}

void Recording::OnTrackFrame(Track& track, const EncodedFrame& frame) {
  if (!opened_) {
    if (!track.ready) {
      track.ready = true;
      track.first_ssrc = frame.ssrc;
      track.first_extended_timestamp = frame.extended_timestamp;
      track.first_arrival = frame.arrival;
      track.extradata.assign(frame.extradata.begin(), frame.extradata.end());
      track.width = frame.width;
      track.height = frame.height;
    }
    auto pending = std::make_unique<PendingFrame>();
    pending->track = track.id;
    pending->ssrc = frame.ssrc;
    pending->extended_timestamp = frame.extended_timestamp;
    pending->arrival = frame.arrival;
    pending->keyframe = frame.keyframe;
    pending->data.assign(frame.data.begin(), frame.data.end());
    pending_.push_back(std::move(pending));
    return;
  }
  if (track.stream < 0) {
    ++track.frames_not_in_file;
    return;
  }
  track.Write(frame.ssrc, frame.extended_timestamp, frame.arrival, frame.keyframe, frame.data);
}

void Recording::MaybeOpen(TimePoint now, bool force) {
  if (opened_) return;
  bool any_ready = false;
  bool all_ready = true;
  std::map<std::string, int> group_sizes;
  for (const auto& track : tracks_) {
    any_ready = any_ready || track->ready;
    all_ready = all_ready && track->ready;
    if (!track->config.sync_group.empty()) ++group_sizes[track->config.sync_group];
  }
  if (!any_ready) return;
  // Lip sync needs each grouped track's first sender report; wait for those too.
  bool reports_ready = true;
  for (const auto& track : tracks_) {
    const auto& group = track->config.sync_group;
    if (!group.empty() && group_sizes[group] > 1 && track->ready &&
        !clocks_.has(track->first_ssrc)) {
      reports_ready = false;
    }
  }
  if (force || (all_ready && reports_ready) || now - start_ >= options_.header_wait) Open();
}

void Recording::Open() {
  opened_ = true;
  std::vector<Track*> ready;
  std::vector<StreamStart> starts;
  for (auto& track : tracks_) {
    if (!track->ready) continue;
    ready.push_back(track.get());
    starts.push_back({track->config.sync_group, track->first_ssrc,
                      static_cast<uint32_t>(track->first_extended_timestamp),
                      track->first_arrival});
  }
  const auto placements = PlaceStreams(starts, start_, clocks_);
  for (size_t i = 0; i < ready.size(); ++i) {
    Track& track = *ready[i];
    track.start_us = placements[i].start.count();
    track.correction_us = placements[i].correction.count();
    track.sender_report_aligned = placements[i].from_sender_reports;
    SinkStream stream;
    stream.codec = track.config.codec;
    stream.label = track.config.label;
    stream.extradata = track.extradata;
    stream.clock_rate = track.clock_rate;
    stream.width = track.width;
    stream.height = track.height;
    stream.applied_offset = placements[i].correction;
    track.stream = sink_.AddStream(stream);
    if (track.stream < 0) sink_ok_ = false;
    track.base_ssrc = track.first_ssrc;
    track.base_extended = track.first_extended_timestamp;
    track.base_pts = MicrosToTicks(track.start_us, track.clock_rate);
    track.last_arrival = track.first_arrival;
  }
  if (options_.mix_audio) OpenMix();
  // Replay what was held in timeline order, so the muxer sees the streams interleaved.
  for (auto& pending : pending_) {
    const Track& track = *tracks_[static_cast<size_t>(pending->track)];
    pending->estimate_us =
        pending->ssrc == track.first_ssrc
            ? track.start_us + TicksToMicros(static_cast<int64_t>(pending->extended_timestamp -
                                                                  track.first_extended_timestamp),
                                             track.clock_rate)
            : std::chrono::duration_cast<std::chrono::microseconds>(pending->arrival - start_)
                  .count();
  }
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const auto& a, const auto& b) { return a->estimate_us < b->estimate_us; });
  for (auto& pending : pending_) {
    Track& track = *tracks_[static_cast<size_t>(pending->track)];
    if (track.stream < 0) continue;
    track.Write(pending->ssrc, pending->extended_timestamp, pending->arrival, pending->keyframe,
                pending->data);
  }
  pending_.clear();
}

void Recording::OpenMix() {
  std::vector<Track*> audio;
  for (auto& track : tracks_) {
    if (track->stream >= 0 && KindOf(track->config.codec) == MediaKind::kAudio &&
        track->config.codec == Codec::kOpus) {
      audio.push_back(track.get());
    }
  }
  if (audio.empty()) return;
  try {
    mix_writer_ = std::make_unique<MixWriter>(*this);
    auto mixer = std::make_unique<AudioMixer>(*mix_writer_);
    for (Track* track : audio) track->mix_source = mixer->AddSource();
    mixer_ = std::move(mixer);
  } catch (const std::exception&) {
    // libopus refused (out of memory): the file goes on without the mix, as the summary says.
    for (Track* track : audio) track->mix_source = -1;
    return;
  }
  SinkStream stream;
  stream.codec = Codec::kOpus;
  stream.label = kMixLabel;
  stream.clock_rate = AudioMixer::kSampleRate;
  stream.channels = 1;
  mix_stream_ = sink_.AddStream(stream);
  if (mix_stream_ < 0) {
    sink_ok_ = false;
    mixer_.reset();
    for (Track* track : audio) track->mix_source = -1;
    return;
  }
  mix_sources_ = static_cast<int>(audio.size());
}

RecordingSummary Recording::Summary() const {
  RecordingSummary summary;
  summary.sink_ok = sink_ok_;
  summary.ssrc_changes = ssrc_changes_;
  for (const auto& track : tracks_) {
    TrackSummary t;
    t.label = track->config.label;
    t.codec = track->config.codec;
    t.stream = track->stream;
    t.ssrcs = track->ssrcs;
    t.width = track->width;
    t.height = track->height;
    t.start_us = track->start_us;
    t.correction_us = track->correction_us;
    t.sender_report_aligned = track->sender_report_aligned;
    if (track->last_pts >= 0) {
      // The last frame lasts as long as the one before it (20 ms for a lone Opus frame).
      const int64_t last = track->last_delta > 0 ? track->last_delta : track->clock_rate / 50;
      t.end_us = TicksToMicros(track->last_pts + last, track->clock_rate);
    }
    t.frames_written = track->frames_written;
    t.frames_dropped = track->depacketizer->stats().frames_dropped + track->frames_not_in_file;
    const auto& stats = track->buffer.stats();
    t.packets_received = stats.received;
    t.packets_lost = stats.lost;
    t.packets_duplicate = stats.drop(JitterDrop::kDuplicate);
    t.packets_late = stats.drop(JitterDrop::kLate);
    t.keyframe_requests = track->keyframe_requests;
    t.gaps = track->gaps;
    summary.duration_us = std::max(summary.duration_us, t.end_us);
    summary.tracks.push_back(std::move(t));
  }
  if (mix_stream_ >= 0) {
    TrackSummary t;
    t.label = kMixLabel;
    t.codec = Codec::kOpus;
    t.stream = mix_stream_;
    t.end_us = TicksToMicros(mix_end_, AudioMixer::kSampleRate);
    if (mixer_) t.frames_written = mixer_->stats().frames_mixed;
    summary.duration_us = std::max(summary.duration_us, t.end_us);
    summary.tracks.push_back(std::move(t));
    summary.mix.stream = mix_stream_;
    summary.mix.sources = mix_sources_;
    if (mixer_) summary.mix.stats = mixer_->stats();
  }
  return summary;
}

}  // namespace mgw::rec
