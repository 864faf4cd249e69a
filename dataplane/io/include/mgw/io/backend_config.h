#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/io/endpoint.h"

namespace mgw::io {

enum class BackendKind : uint8_t { kPosix, kUring, kDpdk };

// "posix" | "uring" | "dpdk".
std::optional<BackendKind> ParseBackendKind(std::string_view name);
std::string_view BackendKindName(BackendKind kind);

using MacAddress = std::array<uint8_t, 6>;
// "02:00:00:00:00:01".
std::optional<MacAddress> ParseMacAddress(std::string_view text);

struct UringConfig {
  enum class RxMode : uint8_t {
    kAuto,       // multishot recvmsg with a provided-buffer ring when the kernel has it (>= 6.0)
    kMultishot,  // require it
    kPreposted,  // one recvmsg SQE per posted buffer (kernel >= 5.3)
  };
  RxMode rx_mode = RxMode::kAuto;
  uint32_t ring_entries = 256;  // submission queue entries per queue (power of two)
  uint32_t tx_slots = 256;      // sends in flight per queue (each holds a copy of its header)
  uint32_t rx_preposted = 64;   // preposted mode: recvmsg SQEs kept in flight per queue
};

struct DpdkConfig {
  // rte_eal_init arguments without argv[0], e.g. {"--no-huge", "-m", "512", "--no-shconf",
  // "--file-prefix=mgw1", "--no-pci", "--vdev=net_af_packet0,iface=veth0"}. EAL is initialised once
  // per process; a second backend in the same process must pass the same arguments.
  std::vector<std::string> eal_args;
  // The ethdev: a name EAL already probed ("0000:03:00.0", "net_af_packet0") or vdev devargs to
  // hot-plug ("net_af_packet0,iface=veth0", "net_ring0"); a hot-plugged device is removed again
  // when the backend is destroyed.
  std::string port;
  uint8_t prefix_length = 24;             // on-link subnet around the local address
  std::optional<IpAddress> gateway;       // next hop for off-link destinations
  std::optional<MacAddress> gateway_mac;  // static next-hop MAC for off-link destinations (no ARP)
  // ARP entries older than this are asked for again while still used, and dropped 3 s later
  // when nobody answers (0: entries never age).
  uint32_t arp_reachable_ms = 30000;
  uint16_t rx_descriptors = 1024;
  uint16_t tx_descriptors = 1024;
  uint32_t mbufs = 16383;  // per pool (receive, transmit headers, indirect clones)
  bool rss = true;         // spread over the RX queues by IPv4/UDP hash when the port can
};

// Start-up configuration of the packet backend. Everything here is read once, by the factory.
struct BackendConfig {
  BackendKind kind = BackendKind::kUring;
  // Address and UDP port to receive on and send from. Sockets bind it (port 0 picks one, shared
  // by every queue through SO_REUSEPORT; 0.0.0.0 or :: bind all addresses). dpdk owns it on its
  // port: IPv4 only, neither unspecified nor port 0.
  Endpoint local;
  uint16_t queues = 1;  // one per worker
  // Socket backends: preallocated packets per queue, bytes per packet buffer including the
  // headroom. Datagrams longer than buffer_size - headroom are dropped as kRxTruncated.
  uint32_t packets_per_queue = 4096;
  uint32_t buffer_size = 2048;
  uint32_t headroom = 128;
  int socket_receive_buffer = 0;  // SO_RCVBUF; 0 keeps the kernel default
  int socket_send_buffer = 0;     // SO_SNDBUF; 0 keeps the kernel default
  UringConfig uring;
  DpdkConfig dpdk;
};

}  // namespace mgw::io
