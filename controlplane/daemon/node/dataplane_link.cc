#include "node/dataplane_link.h"

#include <stdexcept>

namespace mgw::controlplane {

boost::json::object DataplaneLink::Connect() {
  std::lock_guard lock(mutex_);
  if (!client_) {
    client_ = std::make_unique<control::ControlClient>(socket_path_);
    ++generation_;
  }
  try {
    return client_->Call(control::Hello{});
  } catch (const control::ControlCallError&) {
    throw;
  } catch (const std::exception&) {
    client_.reset();
    throw;
  }
}

bool DataplaneLink::connected() const {
  std::lock_guard lock(mutex_);
  return client_ != nullptr;
}

std::uint64_t DataplaneLink::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

boost::json::object DataplaneLink::Call(const control::Command& command) {
  std::lock_guard lock(mutex_);
  if (!client_) throw std::runtime_error("the dataplane is not connected");
  try {
    return client_->Call(command);
  } catch (const control::ControlCallError&) {
    throw;
  } catch (const std::exception&) {
    client_.reset();
    throw;
  }
}

std::vector<boost::json::object> DataplaneLink::CallAll(
    const std::vector<control::Command>& commands) {
  std::lock_guard lock(mutex_);
  if (!client_) throw std::runtime_error("the dataplane is not connected");
  try {
    return client_->CallAll(commands);
  } catch (const control::ControlCallError&) {
    throw;
  } catch (const std::exception&) {
    client_.reset();
    throw;
  }
}

}  // namespace mgw::controlplane
