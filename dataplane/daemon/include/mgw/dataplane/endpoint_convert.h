#pragma once

#include <cstring>

#include "mgw/dp/endpoint.h"
#include "mgw/io/endpoint.h"

// The packet backends (io) and the forwarding logic (dp) each keep their own small endpoint POD,
// so neither library depends on the other; the worker converts between them per packet (a copy of
// 18 bytes).
namespace mgw::dataplane {

inline dp::Endpoint ToDp(const io::Endpoint& e) {
  if (e.address.is_v4()) {
    uint32_t v4 = (uint32_t{e.address.bytes[0]} << 24) | (uint32_t{e.address.bytes[1]} << 16) |
                  (uint32_t{e.address.bytes[2]} << 8) | e.address.bytes[3];
    return dp::Endpoint::FromIpv4(v4, e.port);
  }
  dp::Endpoint out;
  std::memcpy(out.address.data(), e.address.bytes.data(), 16);
  out.port = e.port;
  return out;
}

inline io::Endpoint ToIo(const dp::Endpoint& e) {
  if (e.IsIpv4()) return io::Endpoint::V4(e.Ipv4(), e.port);
  io::Endpoint out;
  std::memcpy(out.address.bytes.data(), e.address.data(), 16);
  out.address.family = io::IpFamily::kIpv6;
  out.port = e.port;
  return out;
}

}  // namespace mgw::dataplane
