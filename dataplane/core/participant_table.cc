#include "mgw/dp/participant_table.h"

#include <algorithm>
#include <string>

#include "mgw/dp/config_error.h"

namespace mgw::dp {

ParticipantTable::ParticipantTable(uint32_t max_participants)
    : by_id_(max_participants), by_address_(max_participants) {}

uint32_t ParticipantTable::Add(const ParticipantConfig& config) {
  if (by_id_.Contains(config.id)) {
    throw ConfigError("participant " + std::to_string(config.id) + " already exists");
  }
  if (by_id_.full()) throw ConfigError("participant table full");
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<uint32_t>(participants_.size());
    participants_.emplace_back();
  }
  Participant& p = participants_[index];
  p = Participant{};
  p.id = config.id;
  p.meeting = config.meeting;
  p.role = config.role;
  p.receives_audio = config.receives_audio;
  p.requires_srtp = config.requires_srtp;
  p.rtcp_ssrc = config.rtcp_ssrc;
  p.used = true;
  by_id_.Insert(config.id, index);
  meetings_[config.meeting].push_back(index);
  return index;
}

void ParticipantTable::Remove(uint32_t index) {
  Participant& p = participants_.at(index);
  if (!p.used) return;
  by_id_.Erase(p.id);
  if (p.latch.latched()) {
    const uint32_t* owner = by_address_.Find(p.latch.address());
    if (owner && *owner == index) by_address_.Erase(p.latch.address());
  }
  auto it = meetings_.find(p.meeting);
  if (it != meetings_.end()) {
    std::erase(it->second, index);
    if (it->second.empty()) meetings_.erase(it);
  }
  p = Participant{};
  free_.push_back(index);
}

uint32_t ParticipantTable::FindOrThrow(ParticipantId id) const {
  const uint32_t index = Find(id);
  if (index == kInvalidIndex) throw ConfigError("unknown participant " + std::to_string(id));
  return index;
}

void ParticipantTable::OnAddressChanged(uint32_t index, const Endpoint& old_address) {
  if (old_address.IsSet()) {
    const uint32_t* owner = by_address_.Find(old_address);
    if (owner && *owner == index) by_address_.Erase(old_address);
  }
  const Endpoint& now = participants_[index].latch.address();
  // A full index only costs the address fallback for RTCP; SSRC lookup still works.
  if (now.IsSet()) by_address_.InsertOrAssign(now, index);
}

std::span<const uint32_t> ParticipantTable::MeetingMembers(MeetingId meeting) const {
  auto it = meetings_.find(meeting);
  if (it == meetings_.end()) return {};
  return it->second;
}

}  // namespace mgw::dp
