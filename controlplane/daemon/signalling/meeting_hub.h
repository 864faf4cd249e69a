#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mgw::controlplane {

class SignallingSession;

// The signalling sockets of this process, by meeting, so a message can reach everyone in a
// meeting. Only this process's sockets: other control planes sharing the database hold their own
// (see controlplane/README.md). Thread-safe.
class MeetingHub {
 public:
  void Attach(const std::string& meeting_id, const std::shared_ptr<SignallingSession>& session);
  void Detach(const std::string& meeting_id, const SignallingSession* session);
  // Live sessions of the meeting, `except` left out.
  std::vector<std::shared_ptr<SignallingSession>> SessionsOf(
      std::string_view meeting_id, const SignallingSession* except = nullptr) const;
  std::vector<std::shared_ptr<SignallingSession>> All() const;
  // The meetings that have sockets here.
  std::vector<std::string> Meetings() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<const SignallingSession*, std::weak_ptr<SignallingSession>>,
           std::less<>>
      meetings_;
};

}  // namespace mgw::controlplane
