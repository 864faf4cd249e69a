#pragma once

// Participants of one worker: identity, meeting membership, address latch, SRTP sessions and the
// streams they publish. Found by control-plane id (configuration) or by latched address (RTCP from
// a participant whose SSRCs are unknown); both indexes are fixed-capacity maps.

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "mgw/dp/address_latch.h"
#include "mgw/dp/endpoint.h"
#include "mgw/dp/flat_hash_map.h"
#include "mgw/dp/media_config.h"
#include "mgw/dp/srtp_sender.h"
#include "mgw/dp/srtp_session.h"
#include "mgw/dp/stream_table.h"

namespace mgw::dp {

struct Participant {
  ParticipantId id = 0;
  MeetingId meeting = 0;
  ParticipantRole role = ParticipantRole::kRegular;
  bool receives_audio = true;
  bool requires_srtp = false;
  uint32_t rtcp_ssrc = 0;
  StreamId audio = kInvalidIndex;
  StreamId video = kInvalidIndex;
  AddressLatch latch;
  std::unique_ptr<SrtpSession> srtp_in;   // unprotects what it sends
  std::unique_ptr<SrtpSession> srtp_out;  // protects what it receives
  // With ForwarderConfig::openssl_srtp_rtp: protects the RTP it receives (each leg keeps its
  // SSRCs' indexes; srtp_out still protects the RTCP).
  std::unique_ptr<SrtpSender> rtp_out;
  // Indexes of SSRCs whose legs were removed, restored when a leg sends that SSRC again (as
  // libsrtp's context keeps a stream for every SSRC it protected). Cleared with new keys.
  std::unordered_map<uint32_t, SrtpSendIndex> retired_srtp_indexes;
  uint32_t video_subscriptions = 0;
  uint64_t last_report_us = 0;  // last RR we sent it about its streams
  bool used = false;

  StreamId stream(MediaKind kind) const { return kind == MediaKind::kAudio ? audio : video; }
};

class ParticipantTable {
 public:
  explicit ParticipantTable(uint32_t max_participants);

  // Throws ConfigError when the id exists or the table is full.
  uint32_t Add(const ParticipantConfig& config);
  void Remove(uint32_t index);

  // kInvalidIndex when unknown.
  uint32_t Find(ParticipantId id) const {
    const uint32_t* i = by_id_.Find(id);
    return i ? *i : kInvalidIndex;
  }
  // Throws ConfigError naming `id` when unknown.
  uint32_t FindOrThrow(ParticipantId id) const;
  uint32_t FindByAddress(const Endpoint& address) const {
    const uint32_t* i = by_address_.Find(address);
    return i ? *i : kInvalidIndex;
  }

  // Keeps the address index in step with a participant's latch after it latched or moved.
  void OnAddressChanged(uint32_t index, const Endpoint& old_address);

  std::span<const uint32_t> MeetingMembers(MeetingId meeting) const;

  Participant& at(uint32_t index) { return participants_[index]; }
  const Participant& at(uint32_t index) const { return participants_[index]; }
  size_t slot_count() const { return participants_.size(); }
  size_t size() const { return by_id_.size(); }

 private:
  std::vector<Participant> participants_;  // grows at configuration time only
  std::vector<uint32_t> free_;
  FlatHashMap<ParticipantId, uint32_t> by_id_;
  FlatHashMap<Endpoint, uint32_t, EndpointHash> by_address_;
  // Touched only by configuration calls, never per packet.
  std::unordered_map<MeetingId, std::vector<uint32_t>> meetings_;
};

}  // namespace mgw::dp
