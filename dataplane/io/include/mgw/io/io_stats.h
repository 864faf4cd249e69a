#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mgw::io {

// Why a packet was dropped (or, for the *Error reasons, why a call failed). Every drop in the
// backends increments exactly one of these.
enum class DropReason : uint8_t {
  kRxTruncated,       // datagram larger than the packet buffer (MSG_TRUNC)
  kRxNoBuffer,        // receive attempt with the packet pool (or io_uring buffer ring) empty
  kRxKernelOverflow,  // dropped by the kernel before we read it (SO_RXQ_OVFL)
  kRxNotIpv4Udp,      // dpdk: frame neither IPv4/UDP nor ARP
  kRxNotForUs,        // dpdk: IPv4/UDP, but not to our address and port
  kRxMalformed,       // dpdk: bad header lengths, IPv4 options/version, multi-segment frame
  kRxFragment,        // dpdk: IPv4 fragment (not reassembled)
  kRxBadChecksum,     // dpdk: IPv4 header checksum, or the NIC flagged the UDP checksum
  kRxError,           // receive call failed
  kTxWouldBlock,      // socket buffer full (EAGAIN/ENOBUFS) or NIC TX ring full
  kTxNoBuffer,        // no mbuf / io_uring send slot left
  kTxNoRoute,         // destination family not reachable from this backend, or no gateway
  kTxArpUnresolved,   // dpdk: next-hop MAC unknown; an ARP request went out
  kTxTooBig,          // larger than a buffer or the MTU
  kTxError,           // send failed for another reason
  kCount,
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

// "rx_truncated", "tx_would_block", ...
std::string_view DropReasonName(DropReason reason);

// A plain snapshot of one queue's counters (or their sum).
struct IoStats {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;  // UDP payload bytes
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;  // UDP payload bytes
  uint64_t arp_requests_sent = 0;
  uint64_t arp_replies_sent = 0;
  std::array<uint64_t, kDropReasonCount> drops{};

  uint64_t drop(DropReason reason) const { return drops[static_cast<size_t>(reason)]; }
  uint64_t total_drops() const;
  IoStats& operator+=(const IoStats& other);
};

// A counter written by one thread (the queue's worker) and read by any: relaxed loads and stores,
// no locked instruction on the packet path.
class RelaxedCounter {
 public:
  void Add(uint64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // For cumulative values the kernel reports (SO_RXQ_OVFL).
  void Set(uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  uint64_t Load() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// One queue's live counters, on their own cache lines.
struct alignas(64) QueueCounters {
  RelaxedCounter rx_packets;
  RelaxedCounter rx_bytes;
  RelaxedCounter tx_packets;
  RelaxedCounter tx_bytes;
  RelaxedCounter arp_requests_sent;
  RelaxedCounter arp_replies_sent;
  std::array<RelaxedCounter, kDropReasonCount> drops;

  void Drop(DropReason reason, uint64_t n = 1) { drops[static_cast<size_t>(reason)].Add(n); }
  IoStats Snapshot() const;
};

}  // namespace mgw::io
