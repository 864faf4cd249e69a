#include "signalling/meeting_hub.h"

namespace mgw::controlplane {

void MeetingHub::Attach(const std::string& meeting_id,
                        const std::shared_ptr<SignallingSession>& session) {
  std::lock_guard lock(mutex_);
  meetings_[meeting_id][session.get()] = session;
}

void MeetingHub::Detach(const std::string& meeting_id, const SignallingSession* session) {
  std::lock_guard lock(mutex_);
  auto it = meetings_.find(meeting_id);
  if (it == meetings_.end()) return;
  it->second.erase(session);
  if (it->second.empty()) meetings_.erase(it);
}

std::vector<std::shared_ptr<SignallingSession>> MeetingHub::SessionsOf(
    std::string_view meeting_id, const SignallingSession* except) const {
  std::vector<std::shared_ptr<SignallingSession>> out;
  std::lock_guard lock(mutex_);
  auto it = meetings_.find(meeting_id);
  if (it == meetings_.end()) return out;
  for (const auto& [key, weak] : it->second) {
    if (key == except) continue;
    if (auto session = weak.lock()) out.push_back(std::move(session));
  }
  return out;
}

std::vector<std::shared_ptr<SignallingSession>> MeetingHub::All() const {
  std::vector<std::shared_ptr<SignallingSession>> out;
  std::lock_guard lock(mutex_);
  for (const auto& [id, sessions] : meetings_) {
    for (const auto& [key, weak] : sessions) {
      if (auto session = weak.lock()) out.push_back(std::move(session));
    }
  }
  return out;
}

std::vector<std::string> MeetingHub::Meetings() const {
  std::vector<std::string> out;
  std::lock_guard lock(mutex_);
  for (const auto& [id, sessions] : meetings_) out.push_back(id);
  return out;
}

}  // namespace mgw::controlplane
