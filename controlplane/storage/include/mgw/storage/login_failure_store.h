#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "mgw/storage/clock.h"
#include "mgw/storage/database.h"

namespace mgw::storage {

// Failed logins, by attempted email and by source address, in the database so that every
// control plane sharing it counts the same attempts. Thread-safe like the Database.
class LoginFailureStore {
 public:
  LoginFailureStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  struct Window {
    std::int64_t count = 0;
    std::optional<TimePoint> oldest;  // the earliest failure counted
  };

  // Records a failure now, and prunes this email's and address's failures older than `since`.
  void Record(std::string_view email, std::string_view source_address, TimePoint prune_before);
  Window ForEmail(std::string_view email, TimePoint since);
  Window ForAddress(std::string_view source_address, TimePoint since);
  // Forgets the email's failures (after a successful login).
  void ClearEmail(std::string_view email);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace mgw::storage
