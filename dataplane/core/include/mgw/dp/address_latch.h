#pragma once

// Learns a participant's transport address from its traffic (comedia-style latching). The first
// acceptable packet sets the address; later packets from elsewhere are dropped unless they
// authenticated (SRTP verified), in which case the address moves: that is a NAT rebinding or a
// network change, and an attacker cannot forge it without the keys. Without SRTP, only the first
// address is trusted; a pinned address (set by the control plane) behaves the same way.

#include <cstdint>

#include "mgw/dp/endpoint.h"

namespace mgw::dp {

enum class LatchVerdict : uint8_t {
  kAccept,   // from the latched address
  kLatched,  // first packet: address learned
  kMoved,    // authenticated packet from a new address: address moved
  kDrop,     // from another address and not authenticated
};

class AddressLatch {
 public:
  AddressLatch() = default;

  // Decides on one packet from `source`; `authenticated` is true when SRTP verified it.
  LatchVerdict Offer(const Endpoint& source, bool authenticated) {
    if (!address_.IsSet()) {
      address_ = source;
      return LatchVerdict::kLatched;
    }
    if (source == address_) return LatchVerdict::kAccept;
    if (!authenticated) return LatchVerdict::kDrop;
    address_ = source;
    ++moves_;
    return LatchVerdict::kMoved;
  }

  // Control-plane override (address known from signalling, or ICE selected a pair).
  void Pin(const Endpoint& address) { address_ = address; }
  void Reset() { address_ = Endpoint{}; }

  bool latched() const { return address_.IsSet(); }
  const Endpoint& address() const { return address_; }
  uint64_t moves() const { return moves_; }

 private:
  Endpoint address_{};
  uint64_t moves_ = 0;
};

}  // namespace mgw::dp
