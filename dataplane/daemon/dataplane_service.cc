#include "mgw/dataplane/dataplane_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "mgw/dataplane/endpoint_convert.h"
#include "mgw/dp/config_error.h"
#include "mgw/dp/drop_reason.h"
#include "mgw/io/endpoint.h"
#include "mgw/version.h"

namespace mgw::dataplane {

namespace json = boost::json;
using control::Error;
using control::ErrorCode;

namespace {

constexpr auto kWorkerTimeout = std::chrono::seconds(5);

// The replica validates changes and keeps addresses; it never sees a packet, so it keeps no
// packet caches.
dp::ForwarderConfig ReplicaConfig(dp::ForwarderConfig config) {
  config.video_cache.capacity = 0;
  config.audio_cache.capacity = 0;
  return config;
}

Error NotFound(const std::string& participant) {
  return {ErrorCode::kNotFound, fmt::format("no participant \"{}\"", participant)};
}

dp::SrtpSuite ToDp(control::SrtpSuite suite) {
  return suite == control::SrtpSuite::kAeadAes128Gcm ? dp::SrtpSuite::kAeadAes128Gcm
                                                     : dp::SrtpSuite::kAesCm128HmacSha1_80;
}

dp::VideoCodec CodecOf(const std::string& codec) {
  return codec == "h264" ? dp::VideoCodec::kH264 : dp::VideoCodec::kVp8;
}

dp::VideoSubscription SubscriptionFor(uint64_t bitrate) {
  dp::VideoSubscription sub;
  sub.requested_bitrate_bps = static_cast<uint32_t>(std::min<uint64_t>(bitrate, UINT32_MAX));
  return sub;
}

// Per worker, what a stats read found for one stream or leg.
struct Sample {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  int64_t lost = 0;
  uint32_t jitter = 0;
  bool present = false;

  void Add(const Sample& other) {
    if (!other.present) return;
    packets += other.packets;
    bytes += other.bytes;
    // Loss and jitter come from whichever worker saw the flow (one does, per 5-tuple).
    if (other.packets > 0) {
      lost += other.lost;
      jitter = std::max(jitter, other.jitter);
    }
    present = true;
  }
};

// Per worker, what a stats read found for one subscriber leg. Packets are counted by the worker
// that forwarded them (any), loss and jitter come from the subscriber's receiver reports, which
// the worker that receives its RTCP holds: the newest report wins.
struct LegSample {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t retransmissions = 0;
  uint32_t output_ssrc = 0;
  int64_t lost = 0;
  uint8_t fraction_lost = 0;
  uint32_t jitter = 0;
  uint64_t reported_us = 0;
  bool present = false;

  static LegSample From(const dp::LegInfo& leg) {
    return {leg.stats.packets_sent, leg.stats.bytes_sent,      leg.stats.retransmissions,
            leg.output_ssrc,        leg.stats.cumulative_lost, leg.stats.fraction_lost,
            leg.stats.jitter,       leg.stats.last_report_us,  true};
  }
  void Add(const LegSample& other) {
    if (!other.present) return;
    packets += other.packets;
    bytes += other.bytes;
    retransmissions += other.retransmissions;
    if (output_ssrc == 0) output_ssrc = other.output_ssrc;
    if (other.reported_us > reported_us) {
      reported_us = other.reported_us;
      lost = other.lost;
      fraction_lost = other.fraction_lost;
      jitter = other.jitter;
    }
    present = true;
  }
};

}  // namespace

std::vector<DataplaneService::LegKey> DataplaneService::LegsOf(
    const std::vector<std::string>& names) const {
  // Every participant receives the audio of every other one in its meeting, and the video it
  // subscribed to. The audio senders of each meeting are found in one pass, so the work is the
  // number of legs, not participants squared (10,000 publishers in one meeting made each
  // metrics scrape take minutes). Legs come in publisher-name order, audio before video.
  std::map<std::string_view, std::vector<const std::string*>> audio_senders;
  for (const std::string& name : names) audio_senders.try_emplace(participants_.at(name).meeting);
  for (const auto& [name, info] : participants_) {
    if (!info.audio) continue;
    if (auto it = audio_senders.find(info.meeting); it != audio_senders.end()) {
      it->second.push_back(&name);  // in name order: participants_ is ordered
    }
  }
  std::vector<LegKey> legs;
  for (size_t i = 0; i < names.size(); ++i) {
    const ParticipantInfo& info = participants_.at(names[i]);
    const std::vector<const std::string*>& audio = audio_senders.at(info.meeting);
    auto a = audio.begin();
    auto v = info.video_subscriptions.begin();
    while (a != audio.end() || v != info.video_subscriptions.end()) {
      const bool audio_next =
          a != audio.end() && (v == info.video_subscriptions.end() || **a <= v->first);
      if (audio_next) {
        const std::string& other = **a++;
        if (other != names[i]) {
          legs.push_back({i, participants_.at(other).id, other, dp::MediaKind::kAudio});
        }
      } else {
        const std::string& other = v++->first;
        legs.push_back({i, participants_.at(other).id, other, dp::MediaKind::kVideo});
      }
    }
  }
  return legs;
}

DataplaneService::DataplaneService(io::PacketBackend& backend, std::vector<Worker*> workers,
                                   const dp::ForwarderConfig& config)
    : backend_(backend), workers_(std::move(workers)), replica_(ReplicaConfig(config)) {
  for (Worker* worker : workers_) {
    worker->SetAddressListener([this] {
      address_sync_pending_.store(true, std::memory_order_release);
      { std::lock_guard lock(sync_mutex_); }  // rare (a latch), and no lost wake-up
      sync_cv_.notify_one();
    });
  }
  if (workers_.size() > 1) sync_thread_ = std::thread([this] { AddressSyncLoop(); });
}

DataplaneService::~DataplaneService() { StopAddressSync(); }

void DataplaneService::StopAddressSync() {
  {
    std::lock_guard lock(sync_mutex_);
    address_sync_stop_ = true;
  }
  sync_cv_.notify_one();
  if (sync_thread_.joinable()) sync_thread_.join();
}

void DataplaneService::AddressSyncLoop() {
  std::unique_lock lock(sync_mutex_);
  while (true) {
    sync_cv_.wait(lock, [this] {
      return address_sync_stop_ || address_sync_pending_.load(std::memory_order_acquire);
    });
    if (address_sync_stop_) return;
    lock.unlock();
    {
      std::lock_guard service_lock(mutex_);
      if (address_sync_pending_.exchange(false)) SyncAddresses();
    }
    lock.lock();
  }
}

void DataplaneService::SyncAddresses() {
  if (workers_.size() < 2) return;  // one worker: nothing to share
  std::vector<dp::ParticipantId> ids;
  for (const auto& [name, info] : participants_) ids.push_back(info.id);
  std::vector<std::vector<std::optional<dp::Endpoint>>> seen(
      workers_.size(), std::vector<std::optional<dp::Endpoint>>(ids.size()));
  if (!ReadWorkers([&](size_t w, const dp::Forwarder& f) {
        for (size_t i = 0; i < ids.size(); ++i) seen[w][i] = f.Address(ids[i]);
      })) {
    return;
  }
  // A worker whose address differs from the shared one saw the participant (re)appear there.
  std::vector<std::pair<dp::ParticipantId, dp::Endpoint>> learned;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto known = known_addresses_.find(ids[i]);
    for (size_t w = 0; w < workers_.size(); ++w) {
      if (seen[w][i] && (known == known_addresses_.end() || known->second != *seen[w][i])) {
        learned.emplace_back(ids[i], *seen[w][i]);
        break;
      }
    }
  }
  if (learned.empty()) return;
  for (const auto& [id, address] : learned) known_addresses_[id] = address;
  Change([learned](dp::Forwarder& f) {
    for (const auto& [id, address] : learned) f.SetAddress(id, address);
  });
}

size_t DataplaneService::participant_count() const {
  std::lock_guard lock(mutex_);
  return participants_.size();
}

std::variant<json::object, Error> DataplaneService::Handle(const control::Command& command) {
  std::lock_guard lock(mutex_);
  // Whatever the workers latched before this request is shared before it is answered.
  if (address_sync_pending_.exchange(false)) SyncAddresses();
  return std::visit([this](const auto& c) { return Apply(c); }, command);
}

std::optional<Error> DataplaneService::Change(const Worker::Command& change) {
  try {
    change(replica_);
  } catch (const dp::ConfigError& e) {
    return Error{ErrorCode::kBadRequest, e.what()};
  }
  auto done = std::make_shared<Completion>(workers_.size());
  for (Worker* worker : workers_) worker->Post(change, done);
  if (batching_) {
    batch_last_change_ = std::move(done);
    return std::nullopt;
  }
  if (!done->Wait(kWorkerTimeout)) {
    spdlog::error("control: a worker did not apply a change within 5 s");
    return Error{ErrorCode::kInternal, "a worker did not apply the change within 5 s"};
  }
  return std::nullopt;
}

void DataplaneService::BeginBatch() {
  std::lock_guard lock(mutex_);
  batching_ = true;
}

std::optional<Error> DataplaneService::EndBatch() {
  std::shared_ptr<Completion> last;
  {
    std::lock_guard lock(mutex_);
    batching_ = false;
    last = std::move(batch_last_change_);
  }
  if (last && !last->Wait(kWorkerTimeout)) {
    spdlog::error("control: a worker did not apply a batch of changes within 5 s");
    return Error{ErrorCode::kInternal, "a worker did not apply the changes within 5 s"};
  }
  return std::nullopt;
}

bool DataplaneService::ReadWorkers(
    const std::function<void(size_t worker, const dp::Forwarder&)>& read) {
  auto done = std::make_shared<Completion>(workers_.size());
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->Post([i, &read](dp::Forwarder& f) { read(i, f); }, done);
  }
  // `read` is captured by reference: on timeout the caller must not return while a worker may
  // still run it, so wait without limit after reporting.
  if (!done->Wait(kWorkerTimeout)) {
    spdlog::error("stats: a worker has not answered for 5 s");
    done->Wait(std::chrono::hours(24 * 365));
    return false;
  }
  return true;
}

const DataplaneService::ParticipantInfo* DataplaneService::Find(
    const std::string& participant) const {
  auto it = participants_.find(participant);
  return it == participants_.end() ? nullptr : &it->second;
}

uint64_t DataplaneService::MeetingId(const std::string& meeting) {
  auto [it, inserted] = meetings_.emplace(meeting, next_meeting_id_);
  if (inserted) ++next_meeting_id_;
  return it->second;
}

std::vector<std::string> DataplaneService::ParticipantsOf(const std::string& meeting) const {
  std::vector<std::string> out;
  for (const auto& [name, info] : participants_) {
    if (info.meeting == meeting) out.push_back(name);
  }
  return out;
}

std::optional<Error> DataplaneService::CheckVideoLimit(const ParticipantInfo& subscriber,
                                                       size_t after) const {
  size_t limit = subscriber.recorder ? control::kMaxRecorderVideoSubscriptions
                                     : control::kMaxVideoSubscriptions;
  if (after > limit) {
    return Error{ErrorCode::kLimitExceeded,
                 fmt::format("at most {} video subscriptions ({} requested)", limit, after)};
  }
  return std::nullopt;
}

DataplaneService::Result DataplaneService::Apply(const control::Hello&) {
  io::Endpoint local = backend_.local_endpoint();
  return json::object{
      {"protocol", control::kProtocolVersion},
      {"version", kVersion},
      {"backend", backend_.name()},
      {"workers", workers_.size()},
      {"media", json::object{{"address", local.address.ToString()}, {"port", local.port}}}};
}

DataplaneService::Result DataplaneService::Apply(const control::AddParticipant& add) {
  if (participants_.contains(add.participant)) {
    return Error{ErrorCode::kAlreadyExists,
                 fmt::format("participant \"{}\" exists", add.participant)};
  }
  std::vector<uint32_t> ssrcs;
  if (add.audio) ssrcs.push_back(add.audio->ssrc);
  if (add.video) {
    for (const auto& e : add.video->encodings) {
      ssrcs.push_back(e.ssrc);
      if (e.rtx_ssrc) ssrcs.push_back(*e.rtx_ssrc);
    }
  }
  for (size_t i = 0; i < ssrcs.size(); ++i) {
    bool repeated = std::find(ssrcs.begin(), ssrcs.begin() + static_cast<long>(i), ssrcs[i]) !=
                    ssrcs.begin() + static_cast<long>(i);
    if (ssrcs_.contains(ssrcs[i]) || repeated) {
      return Error{ErrorCode::kAlreadyExists, fmt::format("SSRC {} is in use", ssrcs[i])};
    }
  }
  std::optional<io::Endpoint> address;
  if (add.address) {
    address = io::Endpoint::Parse(*add.address);
    if (!address || address->port == 0) {
      return Error{ErrorCode::kBadRequest,
                   fmt::format("\"address\" must be ip:port, not \"{}\"", *add.address)};
    }
  }

  dp::ParticipantConfig config;
  config.id = next_participant_id_;
  config.meeting = MeetingId(add.meeting);
  config.role = add.recorder ? dp::ParticipantRole::kRecorder : dp::ParticipantRole::kRegular;
  config.requires_srtp = add.srtp.has_value();
  if (add.audio) {
    config.audio.payload_type = add.audio->payload_type;
    config.audio.clock_rate = add.audio->clock_rate;
    config.audio.encodings[0].ssrc = add.audio->ssrc;
    config.audio.encoding_count = 1;
  }
  if (add.video) {
    config.video.codec = CodecOf(add.video->codec);
    config.video.payload_type = add.video->payload_type;
    config.video.rtx_payload_type = add.video->rtx_payload_type.value_or(0);
    config.video.clock_rate = add.video->clock_rate;
    for (size_t i = 0; i < add.video->encodings.size(); ++i) {
      const auto& e = add.video->encodings[i];
      config.video.encodings[i] = {
          e.ssrc, e.rtx_ssrc.value_or(0),
          static_cast<uint32_t>(std::min<uint64_t>(e.bitrate, UINT32_MAX))};
    }
    config.video.encoding_count = static_cast<uint8_t>(add.video->encodings.size());
  }
  std::optional<control::SrtpKeys> srtp = add.srtp;
  dp::ParticipantId id = config.id;
  auto change = [config, srtp, address](dp::Forwarder& f) {
    f.AddParticipant(config);
    try {
      if (srtp) f.SetSrtpKeys(config.id, ToDp(srtp->suite), srtp->rx_key, srtp->tx_key);
      if (address) f.SetAddress(config.id, ToDp(*address));
    } catch (...) {
      f.RemoveParticipant(config.id);  // all or nothing
      throw;
    }
  };
  if (auto error = Change(change)) return *error;
  ++next_participant_id_;
  if (address) known_addresses_[id] = ToDp(*address);
  ParticipantInfo info{id, add.meeting, add.recorder, add.audio, add.video, {}};
  participants_.emplace(add.participant, std::move(info));
  ssrcs_.insert(ssrcs.begin(), ssrcs.end());
  return json::object{};
}

DataplaneService::Result DataplaneService::Apply(const control::RemoveParticipant& remove) {
  auto it = participants_.find(remove.participant);
  if (it == participants_.end()) return NotFound(remove.participant);
  dp::ParticipantId id = it->second.id;
  if (auto error = Change([id](dp::Forwarder& f) { f.RemoveParticipant(id); })) return *error;
  if (it->second.audio) ssrcs_.erase(it->second.audio->ssrc);
  if (it->second.video) {
    for (const auto& e : it->second.video->encodings) {
      ssrcs_.erase(e.ssrc);
      if (e.rtx_ssrc) ssrcs_.erase(*e.rtx_ssrc);
    }
  }
  known_addresses_.erase(id);
  participants_.erase(it);
  for (auto& [name, info] : participants_) {
    info.video_subscriptions.erase(remove.participant);
    info.video_rtx.erase(remove.participant);
  }
  return json::object{};
}

DataplaneService::Result DataplaneService::Apply(const control::SetKeys& keys) {
  const ParticipantInfo* info = Find(keys.participant);
  if (info == nullptr) return NotFound(keys.participant);
  dp::ParticipantId id = info->id;
  control::SrtpKeys srtp = keys.srtp;
  if (auto error = Change([id, srtp](dp::Forwarder& f) {
        f.SetSrtpKeys(id, ToDp(srtp.suite), srtp.rx_key, srtp.tx_key);
      })) {
    return *error;
  }
  return json::object{};
}

DataplaneService::Result DataplaneService::Apply(const control::RemoveMeeting& remove) {
  std::vector<std::string> members = ParticipantsOf(remove.meeting);
  if (members.empty() && !meetings_.contains(remove.meeting)) {
    return Error{ErrorCode::kNotFound, fmt::format("no meeting \"{}\"", remove.meeting)};
  }
  for (const std::string& member : members) {
    Result r = Apply(control::RemoveParticipant{member});
    if (std::holds_alternative<Error>(r)) return r;
  }
  meetings_.erase(remove.meeting);
  return json::object{{"removed", members.size()}};
}

DataplaneService::Result DataplaneService::Apply(const control::Subscribe& subscribe) {
  auto sub = participants_.find(subscribe.subscriber);
  if (sub == participants_.end()) return NotFound(subscribe.subscriber);
  const ParticipantInfo* pub = Find(subscribe.publisher);
  if (pub == nullptr) return NotFound(subscribe.publisher);
  if (subscribe.subscriber == subscribe.publisher) {
    return Error{ErrorCode::kBadRequest, "a participant cannot subscribe to itself"};
  }
  if (pub->meeting != sub->second.meeting) {
    return Error{ErrorCode::kBadRequest, fmt::format("\"{}\" and \"{}\" are in different meetings",
                                                     subscribe.subscriber, subscribe.publisher)};
  }
  if (!pub->video) {
    return Error{ErrorCode::kNotFound,
                 fmt::format("participant \"{}\" publishes no video", subscribe.publisher)};
  }
  dp::ParticipantId s = sub->second.id;
  dp::ParticipantId p = pub->id;
  uint64_t bitrate = subscribe.bitrate;
  bool existing = sub->second.video_subscriptions.contains(subscribe.publisher);
  std::optional<std::pair<uint32_t, uint8_t>> rtx;
  if (subscribe.rtx_ssrc) rtx = std::pair{*subscribe.rtx_ssrc, *subscribe.rtx_payload_type};
  if (existing) {
    // Subscribing again changes the bitrate; the RTX stream is fixed when the feed starts.
    auto stored = sub->second.video_rtx.find(subscribe.publisher);
    bool same_rtx = !rtx || (stored != sub->second.video_rtx.end() && stored->second == *rtx);
    if (!same_rtx) {
      return Error{ErrorCode::kBadRequest,
                   "the RTX stream of a subscription is fixed when it starts: unsubscribe first"};
    }
  } else if (auto error =
                 CheckVideoLimit(sub->second, sub->second.video_subscriptions.size() + 1)) {
    return *error;
  }
  dp::VideoSubscription video = SubscriptionFor(bitrate);
  if (rtx) {
    video.output_rtx_ssrc = rtx->first;
    video.rtx_payload_type = rtx->second;
  }
  auto change =
      existing ? Worker::Command([s, p, video](dp::Forwarder& f) {
        f.SetRequestedBitrate(s, p, video.requested_bitrate_bps);
      })
               : Worker::Command([s, p, video](dp::Forwarder& f) { f.Subscribe(s, p, video); });
  if (auto error = Change(change)) return *error;
  sub->second.video_subscriptions[subscribe.publisher] = bitrate;
  if (rtx && !existing) sub->second.video_rtx[subscribe.publisher] = *rtx;
  return json::object{};
}

DataplaneService::Result DataplaneService::Apply(const control::Unsubscribe& unsubscribe) {
  auto sub = participants_.find(unsubscribe.subscriber);
  if (sub == participants_.end()) return NotFound(unsubscribe.subscriber);
  if (!sub->second.video_subscriptions.contains(unsubscribe.publisher)) {
    return Error{ErrorCode::kNotFound, fmt::format("\"{}\" is not subscribed to \"{}\"",
                                                   unsubscribe.subscriber, unsubscribe.publisher)};
  }
  dp::ParticipantId s = sub->second.id;
  dp::ParticipantId p = participants_.at(unsubscribe.publisher).id;
  if (auto error = Change([s, p](dp::Forwarder& f) { f.Unsubscribe(s, p); })) return *error;
  sub->second.video_subscriptions.erase(unsubscribe.publisher);
  sub->second.video_rtx.erase(unsubscribe.publisher);
  return json::object{};
}

DataplaneService::Result DataplaneService::Apply(const control::Swap& swap) {
  auto sub = participants_.find(swap.subscriber);
  if (sub == participants_.end()) return NotFound(swap.subscriber);
  ParticipantInfo& subscriber = sub->second;
  // Validate everything before touching anything, so the swap is all or nothing.
  std::map<std::string, uint64_t> after = subscriber.video_subscriptions;
  for (const std::string& publisher : swap.remove) {
    if (after.erase(publisher) == 0) {
      return Error{ErrorCode::kNotFound,
                   fmt::format("\"{}\" is not subscribed to \"{}\"", swap.subscriber, publisher)};
    }
  }
  for (const control::SwapAdd& add : swap.add) {
    const ParticipantInfo* pub = Find(add.publisher);
    if (pub == nullptr) return NotFound(add.publisher);
    if (add.publisher == swap.subscriber || pub->meeting != subscriber.meeting || !pub->video) {
      return Error{ErrorCode::kBadRequest, fmt::format("\"{}\" cannot subscribe to \"{}\"",
                                                       swap.subscriber, add.publisher)};
    }
    if (after.contains(add.publisher)) {
      return Error{ErrorCode::kBadRequest, fmt::format("\"{}\" is already subscribed to \"{}\"",
                                                       swap.subscriber, add.publisher)};
    }
    after[add.publisher] = add.bitrate;
  }
  if (auto error = CheckVideoLimit(subscriber, after.size())) return *error;

  // Pairs become leg moves (Forwarder::Swap keeps the subscriber's output stream continuous);
  // the rest are plain unsubscribes and subscribes. All run in one command: one burst boundary.
  struct Step {
    dp::ParticipantId old_publisher;  // 0: none
    dp::ParticipantId new_publisher;  // 0: none
    uint64_t bitrate;
  };
  std::vector<Step> steps;
  for (size_t i = 0; i < std::max(swap.remove.size(), swap.add.size()); ++i) {
    Step step{0, 0, 0};
    if (i < swap.remove.size()) step.old_publisher = participants_.at(swap.remove[i]).id;
    if (i < swap.add.size()) {
      step.new_publisher = participants_.at(swap.add[i].publisher).id;
      step.bitrate = swap.add[i].bitrate;
    }
    steps.push_back(step);
  }
  // Unsubscribes first, so the limit holds at every step.
  std::stable_partition(steps.begin(), steps.end(),
                        [](const Step& s) { return s.new_publisher == 0; });
  dp::ParticipantId s = subscriber.id;
  auto change = [s, steps](dp::Forwarder& f) {
    for (const Step& step : steps) {
      if (step.old_publisher != 0 && step.new_publisher != 0) {
        f.Swap(s, step.old_publisher, step.new_publisher,
               SubscriptionFor(step.bitrate).requested_bitrate_bps);
      } else if (step.old_publisher != 0) {
        f.Unsubscribe(s, step.old_publisher);
      } else {
        f.Subscribe(s, step.new_publisher, SubscriptionFor(step.bitrate));
      }
    }
  };
  if (auto error = Change(change)) return *error;
  subscriber.video_subscriptions = std::move(after);
  // A moved leg keeps its output stream, RTX included; a dropped one loses it.
  for (size_t i = 0; i < swap.remove.size(); ++i) {
    auto rtx = subscriber.video_rtx.find(swap.remove[i]);
    if (rtx == subscriber.video_rtx.end()) continue;
    std::pair<uint32_t, uint8_t> moved = rtx->second;
    subscriber.video_rtx.erase(rtx);
    if (i < swap.add.size()) subscriber.video_rtx[swap.add[i].publisher] = moved;
  }
  return json::object{};
}

DataplaneService::Result DataplaneService::Apply(const control::StatsQuery& query) {
  std::vector<std::string> names;
  if (query.participant) {
    if (!participants_.contains(*query.participant)) return NotFound(*query.participant);
    names.push_back(*query.participant);
  } else {
    for (const auto& [name, info] : participants_) names.push_back(name);
  }
  // What to read: each publisher stream (kind, encoding) and each leg (subscriber, publisher,
  // kind), looked up on every worker.
  struct StreamKey {
    size_t participant;
    dp::MediaKind kind;
    size_t encoding;
    uint32_t ssrc;
  };
  std::vector<StreamKey> streams;
  for (size_t i = 0; i < names.size(); ++i) {
    const ParticipantInfo& info = participants_.at(names[i]);
    if (info.audio) streams.push_back({i, dp::MediaKind::kAudio, 0, info.audio->ssrc});
    if (info.video) {
      for (size_t e = 0; e < info.video->encodings.size(); ++e) {
        streams.push_back({i, dp::MediaKind::kVideo, e, info.video->encodings[e].ssrc});
      }
    }
  }
  const std::vector<LegKey> legs = LegsOf(names);
  std::vector<std::vector<Sample>> stream_samples(workers_.size(),
                                                  std::vector<Sample>(streams.size()));
  std::vector<std::vector<LegSample>> leg_samples(workers_.size(),
                                                  std::vector<LegSample>(legs.size()));
  std::vector<dp::DropCounters> drops(workers_.size());
  std::vector<dp::ParticipantId> ids;
  ids.reserve(names.size());
  for (const auto& n : names) ids.push_back(participants_.at(n).id);
  // Addresses are latched (and moved) by the workers; the replica only knows signalled ones.
  std::vector<std::vector<std::optional<dp::Endpoint>>> addresses(
      workers_.size(), std::vector<std::optional<dp::Endpoint>>(names.size()));
  bool complete = ReadWorkers([&](size_t w, const dp::Forwarder& f) {
    for (size_t i = 0; i < ids.size(); ++i) addresses[w][i] = f.Address(ids[i]);
    for (size_t k = 0; k < streams.size(); ++k) {
      const dp::ReceiveStats* rs =
          f.PublisherStats(ids[streams[k].participant], streams[k].kind, streams[k].encoding);
      if (rs != nullptr) {
        stream_samples[w][k] = {rs->packets(), rs->bytes(), rs->cumulative_lost(), rs->jitter(),
                                true};
      }
    }
    for (size_t k = 0; k < legs.size(); ++k) {
      auto leg = f.Subscription(ids[legs[k].participant], legs[k].publisher_id, legs[k].kind);
      if (leg) leg_samples[w][k] = LegSample::From(*leg);
    }
    drops[w] = f.drops();
  });
  if (!complete) return Error{ErrorCode::kInternal, "a worker did not answer within 5 s"};

  json::array participants;
  for (size_t i = 0; i < names.size(); ++i) {
    const ParticipantInfo& info = participants_.at(names[i]);
    json::object p{{"participant", names[i]},
                   {"meeting", info.meeting},
                   {"role", info.recorder ? "recorder" : "participant"}};
    std::optional<dp::Endpoint> address = replica_.Address(info.id);
    for (size_t w = 0; w < workers_.size(); ++w) {
      if (addresses[w][i]) {
        address = addresses[w][i];
        break;
      }
    }
    if (address) p["address"] = ToIo(*address).ToString();
    json::array stream_list;
    for (size_t k = 0; k < streams.size(); ++k) {
      if (streams[k].participant != i) continue;
      Sample total;
      for (size_t w = 0; w < workers_.size(); ++w) total.Add(stream_samples[w][k]);
      stream_list.push_back(
          json::object{{"ssrc", streams[k].ssrc},
                       {"kind", streams[k].kind == dp::MediaKind::kAudio ? "audio" : "video"},
                       {"encoding", streams[k].encoding},
                       {"packets", total.packets},
                       {"bytes", total.bytes},
                       {"lost", total.lost},
                       {"jitter", total.jitter}});
    }
    json::array leg_list;
    for (size_t k = 0; k < legs.size(); ++k) {
      if (legs[k].participant != i) continue;
      LegSample total;
      for (size_t w = 0; w < workers_.size(); ++w) total.Add(leg_samples[w][k]);
      leg_list.push_back(
          json::object{{"publisher", legs[k].publisher},
                       {"kind", legs[k].kind == dp::MediaKind::kAudio ? "audio" : "video"},
                       {"ssrc", total.output_ssrc},
                       {"packets", total.packets},
                       {"bytes", total.bytes},
                       {"retransmissions", total.retransmissions},
                       {"lost", total.lost},
                       {"fraction_lost", total.fraction_lost},
                       {"jitter", total.jitter}});
    }
    p["streams"] = std::move(stream_list);
    p["legs"] = std::move(leg_list);
    participants.push_back(std::move(p));
  }
  dp::DropCounters total_drops;
  for (const auto& d : drops) total_drops += d;
  json::object drop_object;
  for (size_t r = 1; r < dp::kDropReasonCount; ++r) {
    drop_object[dp::Name(static_cast<dp::DropReason>(r))] = total_drops.by_reason[r];
  }
  return json::object{{"participants", std::move(participants)}, {"drops", std::move(drop_object)}};
}

void DataplaneService::CollectMetrics(metrics::TextWriter& out) {
  std::lock_guard lock(mutex_);
  using metrics::MetricType;
  std::vector<dp::DropCounters> drops(workers_.size());
  std::vector<dp::ForwarderCounters> counters(workers_.size());
  // Per-stream counts, one sample per participant and kind.
  struct StreamKey {
    std::string participant;
    std::string meeting;
    dp::ParticipantId id;
    dp::MediaKind kind;
    size_t encoding;
    uint32_t ssrc;
  };
  std::vector<StreamKey> streams;
  for (const auto& [name, info] : participants_) {
    if (info.audio) {
      streams.push_back({name, info.meeting, info.id, dp::MediaKind::kAudio, 0, info.audio->ssrc});
    }
    if (info.video) {
      for (size_t e = 0; e < info.video->encodings.size(); ++e) {
        streams.push_back(
            {name, info.meeting, info.id, dp::MediaKind::kVideo, e, info.video->encodings[e].ssrc});
      }
    }
  }
  std::vector<std::vector<Sample>> samples(workers_.size(), std::vector<Sample>(streams.size()));
  std::vector<std::string> names;
  std::vector<dp::ParticipantId> ids;
  for (const auto& [name, info] : participants_) {
    names.push_back(name);
    ids.push_back(info.id);
  }
  const std::vector<LegKey> legs = per_leg_metrics_ ? LegsOf(names) : std::vector<LegKey>{};
  std::vector<std::vector<LegSample>> leg_samples(workers_.size(),
                                                  std::vector<LegSample>(legs.size()));
  bool complete = ReadWorkers([&](size_t w, const dp::Forwarder& f) {
    drops[w] = f.drops();
    counters[w] = f.counters();
    for (size_t k = 0; k < streams.size(); ++k) {
      if (const dp::ReceiveStats* rs =
              f.PublisherStats(streams[k].id, streams[k].kind, streams[k].encoding)) {
        samples[w][k] = {rs->packets(), rs->bytes(), rs->cumulative_lost(), rs->jitter(), true};
      }
    }
    for (size_t k = 0; k < legs.size(); ++k) {
      auto leg = f.Subscription(ids[legs[k].participant], legs[k].publisher_id, legs[k].kind);
      if (leg) leg_samples[w][k] = LegSample::From(*leg);
    }
  });
  if (!complete) return;

  out.Family("mgw_dataplane_participants", "Participants programmed on this dataplane.",
             MetricType::kGauge);
  out.Sample("mgw_dataplane_participants", static_cast<double>(participants_.size()));

  out.Family("mgw_dataplane_drops_total", "Packets dropped, by reason and worker.",
             MetricType::kCounter);
  for (size_t w = 0; w < workers_.size(); ++w) {
    for (size_t r = 1; r < dp::kDropReasonCount; ++r) {
      out.Sample("mgw_dataplane_drops_total",
                 {{"reason", std::string(dp::Name(static_cast<dp::DropReason>(r)))},
                  {"worker", std::to_string(w)}},
                 static_cast<double>(drops[w].by_reason[r]));
    }
  }
  struct CounterField {
    const char* name;
    const char* help;
    uint64_t dp::ForwarderCounters::*field;
  };
  static constexpr CounterField kFields[] = {
      {"mgw_dataplane_rtp_received_total", "RTP packets accepted.",
       &dp::ForwarderCounters::rtp_received},
      {"mgw_dataplane_rtcp_received_total", "RTCP compounds accepted.",
       &dp::ForwarderCounters::rtcp_received},
      {"mgw_dataplane_rtp_sent_total", "RTP packets sent, retransmissions included.",
       &dp::ForwarderCounters::rtp_sent},
      {"mgw_dataplane_rtcp_sent_total", "RTCP packets sent.", &dp::ForwarderCounters::rtcp_sent},
      {"mgw_dataplane_nacks_received_total", "NACK packets from subscribers.",
       &dp::ForwarderCounters::nacks_received},
      {"mgw_dataplane_retransmissions_sent_total", "Packets retransmitted from the cache.",
       &dp::ForwarderCounters::retransmissions_sent},
      {"mgw_dataplane_keyframe_requests_received_total", "PLI and FIR from subscribers.",
       &dp::ForwarderCounters::keyframe_requests_received},
      {"mgw_dataplane_keyframe_requests_sent_total", "PLI and FIR sent to publishers.",
       &dp::ForwarderCounters::keyframe_requests_sent},
      {"mgw_dataplane_encoding_switches_total", "Simulcast or feed switches made at a keyframe.",
       &dp::ForwarderCounters::encoding_switches},
      {"mgw_dataplane_sequence_rebases_total",
       "Subscriber legs re-based on a publisher that restarted its sequence numbers (RFC 3550 "
       "A.1).",
       &dp::ForwarderCounters::sequence_rebases},
      {"mgw_dataplane_addresses_latched_total", "Participant addresses learned from traffic.",
       &dp::ForwarderCounters::addresses_latched},
      {"mgw_dataplane_addresses_moved_total",
       "Participant addresses moved by an authenticated packet from elsewhere (NAT rebinding).",
       &dp::ForwarderCounters::addresses_moved},
      {"mgw_dataplane_sender_reports_forwarded_total",
       "RTCP sender reports forwarded, one per subscriber leg.",
       &dp::ForwarderCounters::sender_reports_forwarded},
      {"mgw_dataplane_receiver_reports_terminated_total",
       "RTCP receiver reports from subscribers, consumed here.",
       &dp::ForwarderCounters::receiver_reports_terminated},
      {"mgw_dataplane_receiver_reports_sent_total", "Our own RTCP receiver reports to publishers.",
       &dp::ForwarderCounters::receiver_reports_sent},
  };
  for (const CounterField& field : kFields) {
    out.Family(field.name, field.help, MetricType::kCounter);
    for (size_t w = 0; w < workers_.size(); ++w) {
      out.Sample(field.name, {{"worker", std::to_string(w)}},
                 static_cast<double>(counters[w].*field.field));
    }
  }

  out.Family("mgw_dataplane_stream_packets_total", "Packets received per publisher stream.",
             MetricType::kCounter);
  std::vector<Sample> totals(streams.size());
  for (size_t k = 0; k < streams.size(); ++k) {
    for (size_t w = 0; w < workers_.size(); ++w) totals[k].Add(samples[w][k]);
  }
  auto labels = [&](size_t k) {
    return metrics::Labels{{"meeting", streams[k].meeting},
                           {"participant", streams[k].participant},
                           {"kind", streams[k].kind == dp::MediaKind::kAudio ? "audio" : "video"},
                           {"ssrc", std::to_string(streams[k].ssrc)}};
  };
  for (size_t k = 0; k < streams.size(); ++k) {
    out.Sample("mgw_dataplane_stream_packets_total", labels(k),
               static_cast<double>(totals[k].packets));
  }
  out.Family("mgw_dataplane_stream_bytes_total", "Bytes received per publisher stream.",
             MetricType::kCounter);
  for (size_t k = 0; k < streams.size(); ++k) {
    out.Sample("mgw_dataplane_stream_bytes_total", labels(k), static_cast<double>(totals[k].bytes));
  }
  out.Family("mgw_dataplane_stream_lost_packets", "Packets lost per publisher stream (RFC 3550).",
             MetricType::kGauge);
  for (size_t k = 0; k < streams.size(); ++k) {
    out.Sample("mgw_dataplane_stream_lost_packets", labels(k), static_cast<double>(totals[k].lost));
  }
  out.Family("mgw_dataplane_stream_jitter",
             "Interarrival jitter per publisher stream, in RTP "
             "timestamp units (RFC 3550 A.8).",
             MetricType::kGauge);
  for (size_t k = 0; k < streams.size(); ++k) {
    out.Sample("mgw_dataplane_stream_jitter", labels(k), static_cast<double>(totals[k].jitter));
  }

  // Per subscriber leg (dataplane.per_leg_metrics): what went out, and what the subscriber's
  // receiver reports say of it.
  if (!legs.empty()) {
    std::vector<LegSample> leg_totals(legs.size());
    for (size_t k = 0; k < legs.size(); ++k) {
      for (size_t w = 0; w < workers_.size(); ++w) leg_totals[k].Add(leg_samples[w][k]);
    }
    auto leg_labels = [&](size_t k) {
      const std::string& subscriber = names[legs[k].participant];
      return metrics::Labels{{"meeting", participants_.at(subscriber).meeting},
                             {"subscriber", subscriber},
                             {"publisher", legs[k].publisher},
                             {"kind", legs[k].kind == dp::MediaKind::kAudio ? "audio" : "video"}};
    };
    struct LegField {
      const char* name;
      const char* help;
      MetricType type;
      double (*value)(const LegSample&);
    };
    static constexpr LegField kLegFields[] = {
        {"mgw_dataplane_leg_packets_total", "RTP packets sent per subscriber leg.",
         MetricType::kCounter, [](const LegSample& l) { return static_cast<double>(l.packets); }},
        {"mgw_dataplane_leg_bytes_total", "RTP bytes (header and payload) sent per leg.",
         MetricType::kCounter, [](const LegSample& l) { return static_cast<double>(l.bytes); }},
        {"mgw_dataplane_leg_retransmissions_total", "Packets retransmitted on a leg (NACK).",
         MetricType::kCounter,
         [](const LegSample& l) { return static_cast<double>(l.retransmissions); }},
        {"mgw_dataplane_leg_lost_packets",
         "Packets the subscriber reports lost on a leg (RTCP RR cumulative loss).",
         MetricType::kGauge, [](const LegSample& l) { return static_cast<double>(l.lost); }},
        {"mgw_dataplane_leg_fraction_lost",
         "Fraction of packets lost the subscriber last reported on a leg (0..1).",
         MetricType::kGauge,
         [](const LegSample& l) { return static_cast<double>(l.fraction_lost) / 256.0; }},
        {"mgw_dataplane_leg_jitter",
         "Interarrival jitter the subscriber reports on a leg, in RTP timestamp units.",
         MetricType::kGauge, [](const LegSample& l) { return static_cast<double>(l.jitter); }},
    };
    for (const LegField& field : kLegFields) {
      out.Family(field.name, field.help, field.type);
      for (size_t k = 0; k < legs.size(); ++k) {
        out.Sample(field.name, leg_labels(k), field.value(leg_totals[k]));
      }
    }
  }

  out.Family("mgw_dataplane_io_rx_packets_total", "Datagrams received by the backend.",
             MetricType::kCounter);
  for (uint16_t q = 0; q < backend_.queue_count(); ++q) {
    out.Sample("mgw_dataplane_io_rx_packets_total", {{"queue", std::to_string(q)}},
               static_cast<double>(backend_.Stats(q).rx_packets));
  }
  out.Family("mgw_dataplane_io_drops_total", "Datagrams the backend dropped, by reason and queue.",
             MetricType::kCounter);
  for (uint16_t q = 0; q < backend_.queue_count(); ++q) {
    io::IoStats stats = backend_.Stats(q);
    for (size_t r = 0; r < io::kDropReasonCount; ++r) {
      out.Sample("mgw_dataplane_io_drops_total",
                 {{"reason", std::string(io::DropReasonName(static_cast<io::DropReason>(r)))},
                  {"queue", std::to_string(q)}},
                 static_cast<double>(stats.drops[r]));
    }
  }
  out.Family("mgw_dataplane_io_tx_packets_total", "Datagrams sent by the backend.",
             MetricType::kCounter);
  for (uint16_t q = 0; q < backend_.queue_count(); ++q) {
    out.Sample("mgw_dataplane_io_tx_packets_total", {{"queue", std::to_string(q)}},
               static_cast<double>(backend_.Stats(q).tx_packets));
  }
}

}  // namespace mgw::dataplane
