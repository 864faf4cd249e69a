#pragma once

#include <cstdint>
#include <span>

#include "mgw/io/endpoint.h"

namespace mgw::io {

// Packets are moved through the backends in bursts of this many (DPDK's l2fwd/l3fwd default).
inline constexpr uint16_t kBurstSize = 32;

// One received datagram: a descriptor over a backend-owned buffer that came from a preallocated
// pool (a PacketPool slot for the socket backends, an mbuf for dpdk); nothing is allocated per
// packet. `data` points at the UDP payload. The holder owns it until it gives it back with
// PacketBackend::Free on the queue that received it.
struct Packet {
  uint8_t* data = nullptr;
  uint32_t length = 0;    // UDP payload bytes at `data`
  uint32_t headroom = 0;  // writable bytes before `data` (see Prepend)
  uint32_t tailroom = 0;  // writable bytes after `data + length`
  uint16_t queue = 0;     // queue that received it
  Endpoint source;        // remote sender
  Endpoint destination;   // local address:port it was sent to

  // Backend-private: do not touch.
  void* handle = nullptr;  // rte_mbuf* (dpdk) or the owning PacketPool (sockets)
  uint32_t slot = 0;       // PacketPool slot
  uint16_t refs = 0;       // PacketPool references (in-flight sends hold one)

  std::span<uint8_t> bytes() const { return {data, length}; }

  // Grows the packet by `n` bytes at the front and returns the new `data`, or nullptr (packet
  // unchanged) when the headroom is too small.
  uint8_t* Prepend(uint32_t n) {
    if (n > headroom) return nullptr;
    data -= n;
    length += n;
    headroom -= n;
    return data;
  }
};

// One datagram to send: `header` bytes followed by `payload_length` bytes of a received packet,
// starting `payload_offset` bytes into its data. The payload is never copied per output: sockets
// send it as a second iovec, dpdk chains a header mbuf to the shared payload mbuf. A plain
// contiguous datagram (SRTP-protected output, locally built RTCP) has only a header.
//
// The source endpoint is always the backend's local endpoint. The header bytes only need to stay
// valid until Send returns; the payload packet may be freed right after Send returns (backends
// that finish sending later hold their own reference).
struct OutPacket {
  Endpoint destination;
  std::span<const uint8_t> header;
  const Packet* payload = nullptr;  // null for a contiguous datagram
  uint32_t payload_offset = 0;      // payload_offset + payload_length <= payload->length
  uint32_t payload_length = 0;

  static OutPacket Contiguous(const Endpoint& destination, std::span<const uint8_t> bytes) {
    return OutPacket{destination, bytes, nullptr, 0, 0};
  }
  // Shares `payload.data[payload_offset..]`, e.g. the media after the ingress RTP header, behind a
  // rewritten header. An offset past the end shares nothing.
  static OutPacket WithSharedPayload(const Endpoint& destination, std::span<const uint8_t> header,
                                     const Packet& payload, uint32_t payload_offset) {
    const uint32_t length = payload_offset < payload.length ? payload.length - payload_offset : 0;
    return OutPacket{destination, header, &payload, payload_offset, length};
  }

  uint32_t size() const { return static_cast<uint32_t>(header.size()) + payload_length; }
  const uint8_t* payload_data() const {
    return payload != nullptr ? payload->data + payload_offset : nullptr;
  }
};

}  // namespace mgw::io
