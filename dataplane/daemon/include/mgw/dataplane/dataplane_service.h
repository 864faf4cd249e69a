#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mgw/common/metrics.h"
#include "mgw/control/control_server.h"
#include "mgw/dataplane/worker.h"
#include "mgw/dp/forwarder.h"
#include "mgw/io/packet_backend.h"

namespace mgw::dataplane {

// The dataplane side of the control protocol. Every change is first applied to a replica
// Forwarder that no packet ever touches; only when that succeeds is it broadcast to every worker
// (which holds identical tables, so it succeeds there too), and the answer goes back once all
// workers have applied it between two bursts. A request that fails therefore changes nothing.
//
// Thread-safe: control requests (control thread) and metrics scrapes (admin HTTP thread) are
// serialised by one mutex; none of this is on the packet path.
class DataplaneService : public control::ControlService {
 public:
  // Installs itself as the workers' address listener: call before the workers start.
  DataplaneService(io::PacketBackend& backend, std::vector<Worker*> workers,
                   const dp::ForwarderConfig& config);
  ~DataplaneService();  // StopAddressSync

  // Stops the thread that shares latched addresses between workers; call before stopping the
  // workers (it waits on them). Idempotent.
  void StopAddressSync();

  std::variant<boost::json::object, control::Error> Handle(
      const control::Command& command) override;
  // Within a batch, changes are posted to the workers without waiting; EndBatch waits for the
  // last one, which the workers run after all earlier ones (their command queues are FIFO).
  void BeginBatch() override;
  std::optional<control::Error> EndBatch() override;

  // Writes the dataplane's metrics: worker counters and drops summed over workers, backend I/O
  // counters, and per-stream and per-leg packet counts.
  void CollectMetrics(metrics::TextWriter& out);
  // Whether CollectMetrics writes the per-leg families (one sample per leg and family: a
  // 50-person meeting has about 5,000 legs). Set before the first scrape.
  void SetPerLegMetrics(bool enabled) { per_leg_metrics_ = enabled; }

  size_t participant_count() const;

 private:
  struct ParticipantInfo {
    dp::ParticipantId id = 0;
    std::string meeting;
    bool recorder = false;
    std::optional<control::AudioSpec> audio;
    std::optional<control::VideoSpec> video;
    std::map<std::string, uint64_t> video_subscriptions;  // publisher -> requested bitrate
    // publisher -> (RTX SSRC, RTX payload type) of feeds subscribed with RFC 4588 retransmission
    std::map<std::string, std::pair<uint32_t, uint8_t>> video_rtx;
  };
  using Result = std::variant<boost::json::object, control::Error>;

  Result Apply(const control::Hello&);
  Result Apply(const control::AddParticipant& add);
  Result Apply(const control::RemoveParticipant& remove);
  Result Apply(const control::SetKeys& keys);
  Result Apply(const control::RemoveMeeting& remove);
  Result Apply(const control::Subscribe& subscribe);
  Result Apply(const control::Unsubscribe& unsubscribe);
  Result Apply(const control::Swap& swap);
  Result Apply(const control::StatsQuery& query);

  // Runs `change` on the replica; on success on every worker. Returns an error on failure.
  std::optional<control::Error> Change(const Worker::Command& change);
  // Runs `read` on every worker between bursts (stats); false if a worker did not answer.
  bool ReadWorkers(const std::function<void(size_t worker, const dp::Forwarder&)>& read);
  // A worker latched or moved an address: every worker holds its own tables, so the others (and
  // the replica) get it pinned, or they would not send to that participant. Holds mutex_.
  void SyncAddresses();
  void AddressSyncLoop();

  const ParticipantInfo* Find(const std::string& participant) const;
  std::optional<control::Error> CheckVideoLimit(const ParticipantInfo& subscriber,
                                                size_t after) const;
  uint64_t MeetingId(const std::string& meeting);
  std::vector<std::string> ParticipantsOf(const std::string& meeting) const;
  // Every leg into the named participants: audio from each member of the meeting, video from
  // each subscribed feed. `participant` indexes `names`.
  struct LegKey {
    size_t participant;
    dp::ParticipantId publisher_id;
    std::string publisher;
    dp::MediaKind kind;
  };
  std::vector<LegKey> LegsOf(const std::vector<std::string>& names) const;

  io::PacketBackend& backend_;
  std::vector<Worker*> workers_;
  dp::Forwarder replica_;
  mutable std::mutex mutex_;
  bool batching_ = false;                          // under mutex_
  std::shared_ptr<Completion> batch_last_change_;  // under mutex_
  bool per_leg_metrics_ = true;
  std::map<std::string, ParticipantInfo> participants_;
  std::unordered_map<std::string, uint64_t> meetings_;
  std::set<uint32_t> ssrcs_;
  uint64_t next_participant_id_ = 1;
  uint64_t next_meeting_id_ = 1;
  std::map<dp::ParticipantId, dp::Endpoint> known_addresses_;  // what every worker has

  std::atomic<bool> address_sync_pending_{false};
  bool address_sync_stop_ = false;  // under sync_mutex_
  std::mutex sync_mutex_;
  std::condition_variable sync_cv_;
  std::thread sync_thread_;
};

}  // namespace mgw::dataplane
