#include "mgw/io/io_stats.h"

#include "mgw/io/packet_backend.h"

namespace mgw::io {

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kRxTruncated:
      return "rx_truncated";
    case DropReason::kRxNoBuffer:
      return "rx_no_buffer";
    case DropReason::kRxKernelOverflow:
      return "rx_kernel_overflow";
    case DropReason::kRxNotIpv4Udp:
      return "rx_not_ipv4_udp";
    case DropReason::kRxNotForUs:
      return "rx_not_for_us";
    case DropReason::kRxMalformed:
      return "rx_malformed";
    case DropReason::kRxFragment:
      return "rx_fragment";
    case DropReason::kRxBadChecksum:
      return "rx_bad_checksum";
    case DropReason::kRxError:
      return "rx_error";
    case DropReason::kTxWouldBlock:
      return "tx_would_block";
    case DropReason::kTxNoBuffer:
      return "tx_no_buffer";
    case DropReason::kTxNoRoute:
      return "tx_no_route";
    case DropReason::kTxArpUnresolved:
      return "tx_arp_unresolved";
    case DropReason::kTxTooBig:
      return "tx_too_big";
    case DropReason::kTxError:
      return "tx_error";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

uint64_t IoStats::total_drops() const {
  uint64_t total = 0;
  for (uint64_t n : drops) total += n;
  return total;
}

IoStats& IoStats::operator+=(const IoStats& other) {
  rx_packets += other.rx_packets;
  rx_bytes += other.rx_bytes;
  tx_packets += other.tx_packets;
  tx_bytes += other.tx_bytes;
  arp_requests_sent += other.arp_requests_sent;
  arp_replies_sent += other.arp_replies_sent;
  for (size_t i = 0; i < kDropReasonCount; ++i) drops[i] += other.drops[i];
  return *this;
}

IoStats QueueCounters::Snapshot() const {
  IoStats stats;
  stats.rx_packets = rx_packets.Load();
  stats.rx_bytes = rx_bytes.Load();
  stats.tx_packets = tx_packets.Load();
  stats.tx_bytes = tx_bytes.Load();
  stats.arp_requests_sent = arp_requests_sent.Load();
  stats.arp_replies_sent = arp_replies_sent.Load();
  for (size_t i = 0; i < kDropReasonCount; ++i) stats.drops[i] = drops[i].Load();
  return stats;
}

IoStats PacketBackend::TotalStats() const {
  IoStats total;
  for (uint16_t queue = 0; queue < queue_count(); ++queue) total += Stats(queue);
  return total;
}

}  // namespace mgw::io
