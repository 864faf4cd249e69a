#include "dpdk/dpdk_backend.h"

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf_ptype.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "dpdk/create_dpdk_backend.h"
#include "dpdk/dpdk_eal.h"

namespace mgw::io {
namespace {

constexpr MacAddress kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr uint32_t kUdpPacketType = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP;

std::string ErrorText(int error) { return rte_strerror(error < 0 ? -error : error); }

MacAddress ToMac(const rte_ether_addr& address) {
  MacAddress mac;
  std::memcpy(mac.data(), address.addr_bytes, mac.size());
  return mac;
}

rte_mempool* CreatePool(const char* kind, uint32_t count, uint16_t private_size, uint16_t data_room,
                        int socket, std::string* error) {
  static std::atomic<uint32_t> sequence{0};
  char name[RTE_MEMPOOL_NAMESIZE];
  std::snprintf(name, sizeof(name), "mgw_%s_%u", kind, sequence.fetch_add(1));
  const uint32_t cache = std::min<uint32_t>(256, count / 8);
  rte_mempool* pool = rte_pktmbuf_pool_create(name, count, cache, private_size, data_room, socket);
  if (pool == nullptr) {
    *error = std::string("rte_pktmbuf_pool_create(") + name + "): " + rte_strerror(rte_errno);
  }
  return pool;
}

}  // namespace

BackendResult DpdkBackend::Create(const BackendConfig& config) {
  std::unique_ptr<DpdkBackend> backend(new DpdkBackend());
  std::string error;
  if (!backend->Open(config, &error)) return {nullptr, "dpdk backend: " + error};
  return {std::move(backend), ""};
}

BackendResult CreateDpdkBackend(const BackendConfig& config) { return DpdkBackend::Create(config); }

bool DpdkBackend::Open(const BackendConfig& config, std::string* error) {
  const DpdkConfig& dpdk = config.dpdk;
  if (!config.local.address.is_v4() || config.local.address.is_unspecified() ||
      config.local.port == 0) {
    *error =
        "local must be a specific IPv4 address and a non-zero port, not " + config.local.ToString();
    return false;
  }
  if (dpdk.prefix_length > 32 || (dpdk.gateway && !dpdk.gateway->is_v4())) {
    *error = "bad prefix_length or gateway";
    return false;
  }
  local_ = config.local;
  local_ip_ = config.local.address.v4();
  netmask_ = dpdk.prefix_length == 0 ? 0 : ~0u << (32 - dpdk.prefix_length);
  if (dpdk.gateway) gateway_ = dpdk.gateway->v4();
  gateway_mac_ = dpdk.gateway_mac;

  if (!EnsureEal(dpdk.eal_args, error) || !AttachPort(dpdk.port, error)) return false;

  rte_eth_dev_info info;
  if (int result = rte_eth_dev_info_get(port_, &info); result != 0) {
    *error = "rte_eth_dev_info_get: " + ErrorText(result);
    return false;
  }
  if (config.queues > info.max_rx_queues || config.queues > info.max_tx_queues) {
    *error = "port " + dpdk.port + " has at most " + std::to_string(info.max_rx_queues) +
             " RX and " + std::to_string(info.max_tx_queues) +
             " TX queues (net_af_packet takes qpairs=N in its devargs)";
    return false;
  }

  rte_eth_conf conf{};
  const uint64_t rss = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  if (config.queues > 1 && dpdk.rss && rss != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = rss;
  }
  conf.txmode.offloads =
      info.tx_offload_capa & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
                              RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
  conf.rxmode.offloads =
      info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
  ip_checksum_offload_ = (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
  udp_checksum_offload_ = (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
  multi_segment_ = (conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
  rx_checksum_flags_ = conf.rxmode.offloads != 0;

  if (int result = rte_eth_dev_configure(port_, config.queues, config.queues, &conf); result != 0) {
    *error = "rte_eth_dev_configure: " + ErrorText(result);
    return false;
  }
  port_configured_ = true;
  uint16_t rx_descriptors = dpdk.rx_descriptors;
  uint16_t tx_descriptors = dpdk.tx_descriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(port_, &rx_descriptors, &tx_descriptors);

  int socket = rte_eth_dev_socket_id(port_);
  if (socket < 0) socket = SOCKET_ID_ANY;
  const uint16_t private_size =
      static_cast<uint16_t>(RTE_ALIGN(sizeof(PacketPrivate), RTE_MBUF_PRIV_ALIGN));
  rx_pool_ = CreatePool("rx", dpdk.mbufs, private_size, RTE_MBUF_DEFAULT_BUF_SIZE, socket, error);
  tx_pool_ = rx_pool_ ? CreatePool("tx", dpdk.mbufs, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket, error)
                      : nullptr;
  // Indirect mbufs carry no data of their own.
  clone_pool_ = tx_pool_ ? CreatePool("clone", dpdk.mbufs, 0, 0, socket, error) : nullptr;
  if (clone_pool_ == nullptr) return false;

  for (uint16_t id = 0; id < config.queues; ++id) {
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = conf.rxmode.offloads;
    if (int result = rte_eth_rx_queue_setup(port_, id, rx_descriptors, socket, &rxconf, rx_pool_);
        result != 0) {
      *error = "rte_eth_rx_queue_setup: " + ErrorText(result);
      return false;
    }
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    if (int result = rte_eth_tx_queue_setup(port_, id, tx_descriptors, socket, &txconf);
        result != 0) {
      *error = "rte_eth_tx_queue_setup: " + ErrorText(result);
      return false;
    }
    auto queue = std::make_unique<Queue>();
    queue->id = id;
    queues_.push_back(std::move(queue));
  }
  if (int result = rte_eth_dev_start(port_); result != 0) {
    *error = "rte_eth_dev_start: " + ErrorText(result);
    return false;
  }
  port_started_ = true;
  rte_eth_dev_get_mtu(port_, &mtu_);
  rte_ether_addr mac;
  rte_eth_macaddr_get(port_, &mac);
  mac_ = ToMac(mac);
  arp_interval_ = rte_get_tsc_hz() / 10;
  arp_ageing_.reachable = rte_get_tsc_hz() / 1000 * config.dpdk.arp_reachable_ms;
  arp_ageing_.probe = arp_ageing_.reachable == 0 ? 0 : 3 * rte_get_tsc_hz();
  return true;
}

bool DpdkBackend::AttachPort(const std::string& port, std::string* error) {
  const std::string name = port.substr(0, port.find(','));
  if (rte_eth_dev_get_port_by_name(name.c_str(), &port_) == 0) return true;
  if (int result = rte_dev_probe(port.c_str()); result != 0) {
    *error = "rte_dev_probe(" + port + "): " + ErrorText(result);
    return false;
  }
  hotplugged_name_ = name;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &port_) != 0) {
    *error = "no ethdev named " + name + " after probing " + port;
    return false;
  }
  return true;
}

DpdkBackend::~DpdkBackend() {
  for (auto& queue : queues_) rte_pktmbuf_free_bulk(queue->tx.data(), queue->tx_count);
  rte_device* device = nullptr;
  rte_eth_dev_info info;
  if (!hotplugged_name_.empty() && rte_eth_dev_info_get(port_, &info) == 0) device = info.device;
  if (port_started_) rte_eth_dev_stop(port_);
  if (port_configured_ || !hotplugged_name_.empty()) rte_eth_dev_close(port_);
  if (device != nullptr) rte_dev_remove(device);
  rte_mempool_free(clone_pool_);
  rte_mempool_free(tx_pool_);
  rte_mempool_free(rx_pool_);
}

void DpdkBackend::AttachWorker(uint16_t /*queue*/) {
  // A registered thread gets an lcore id, hence mempool caches.
  if (rte_lcore_id() == LCORE_ID_ANY) rte_thread_register();
}

uint16_t DpdkBackend::Receive(uint16_t queue, std::span<Packet*> out) {
  Queue& q = *queues_[queue];
  const uint16_t want = static_cast<uint16_t>(std::min<size_t>(out.size(), kBurstSize));
  const uint16_t received = rte_eth_rx_burst(port_, q.id, q.rx.data(), want);
  uint16_t count = 0;
  uint64_t bytes = 0;
  bool answered_arp = false;
  for (uint16_t i = 0; i < received; ++i) {
    rte_mbuf* mbuf = q.rx[i];
    if (i + 1 < received) rte_prefetch0(rte_pktmbuf_mtod(q.rx[i + 1], void*));
    if (mbuf->pool != rx_pool_) mbuf = AdoptForeign(mbuf);
    if (mbuf == nullptr) {
      q.counters.Drop(DropReason::kRxNoBuffer);
      continue;
    }
    const uint64_t ip_flags = mbuf->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    const uint64_t l4_flags = mbuf->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
    FrameVerdict verdict;
    if (mbuf->nb_segs != 1) {
      verdict.reason = DropReason::kRxMalformed;
    } else if (rx_checksum_flags_ && ip_flags == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
      verdict.reason = DropReason::kRxBadChecksum;
    } else {
      verdict =
          ParseFrame(rte_pktmbuf_mtod(mbuf, const uint8_t*), mbuf->data_len, local_ip_, local_.port,
                     rx_checksum_flags_ && ip_flags == RTE_MBUF_F_RX_IP_CKSUM_GOOD);
      // The kernel and veth leave UDP checksums to "hardware", so without a NIC verdict the UDP
      // checksum is not checked here; SRTP authentication covers the payload.
      if (verdict.kind == FrameVerdict::Kind::kUdp && rx_checksum_flags_ &&
          l4_flags == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
        verdict.kind = FrameVerdict::Kind::kDrop;
        verdict.reason = DropReason::kRxBadChecksum;
      }
    }
    switch (verdict.kind) {
      case FrameVerdict::Kind::kDrop:
        q.counters.Drop(verdict.reason);
        rte_pktmbuf_free(mbuf);
        break;
      case FrameVerdict::Kind::kArp:
        answered_arp |= verdict.arp.target_ip == local_ip_;
        HandleArp(q, mbuf, verdict.arp);
        break;
      case FrameVerdict::Kind::kUdp: {
        auto* priv = static_cast<PacketPrivate*>(rte_mbuf_to_priv(mbuf));
        Packet& packet = priv->packet;
        auto* buffer = static_cast<uint8_t*>(mbuf->buf_addr);
        packet.data = rte_pktmbuf_mtod(mbuf, uint8_t*) + verdict.udp.payload_offset;
        packet.length = verdict.udp.payload_length;
        packet.headroom = static_cast<uint32_t>(packet.data - buffer);
        packet.tailroom = mbuf->buf_len - packet.headroom - packet.length;
        packet.queue = q.id;
        packet.source = Endpoint::V4(verdict.udp.source_ip, verdict.udp.source_port);
        packet.destination = Endpoint::V4(verdict.udp.destination_ip, verdict.udp.destination_port);
        packet.handle = mbuf;
        priv->summed_data = nullptr;
        bytes += packet.length;
        out[count++] = &packet;
        break;
      }
    }
  }
  if (answered_arp) FlushTx(q);
  q.counters.rx_packets.Add(count);
  q.counters.rx_bytes.Add(bytes);
  return count;
}

rte_mbuf* DpdkBackend::AdoptForeign(rte_mbuf* mbuf) {
  // Virtual devices such as net_ring hand back whatever mbuf was enqueued. Its private area is
  // not ours to write the Packet into, so the frame moves to one of our mbufs (never on a NIC).
  rte_mbuf* copy = rte_pktmbuf_copy(mbuf, rx_pool_, 0, UINT32_MAX);
  rte_pktmbuf_free(mbuf);
  return copy;
}

void DpdkBackend::HandleArp(Queue& q, rte_mbuf* mbuf, const ArpInfo& arp) {
  // Learn on-link senders: create entries from requests for us and from replies, only refresh
  // from the rest (RFC 826's merge rule).
  const bool for_us = arp.target_ip == local_ip_;
  if (arp.sender_ip != 0 && OnLink(arp.sender_ip)) {
    neighbors_.Learn(arp.sender_ip, arp.sender_mac, for_us, rte_get_tsc_cycles());
  }
  if (arp.operation == RTE_ARP_OP_REQUEST && for_us) {
    WriteArpFrame(rte_pktmbuf_mtod(mbuf, uint8_t*), RTE_ARP_OP_REPLY, mac_, arp.sender_mac, mac_,
                  local_ip_, arp.sender_mac, arp.sender_ip);
    mbuf->data_len = kArpFrameSize;
    mbuf->pkt_len = kArpFrameSize;
    mbuf->ol_flags = 0;
    mbuf->packet_type = RTE_PTYPE_L2_ETHER_ARP;
    Enqueue(q, mbuf);
    q.counters.arp_replies_sent.Add(1);
    return;
  }
  rte_pktmbuf_free(mbuf);
}

void DpdkBackend::SendArpRequest(Queue& q, uint32_t target_ip) {
  rte_mbuf* mbuf = rte_pktmbuf_alloc(tx_pool_);
  if (mbuf == nullptr) return;
  auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(mbuf, kArpFrameSize));
  WriteArpFrame(frame, RTE_ARP_OP_REQUEST, mac_, kBroadcastMac, mac_, local_ip_, MacAddress{},
                target_ip);
  mbuf->packet_type = RTE_PTYPE_L2_ETHER_ARP;
  Enqueue(q, mbuf);
  q.counters.arp_requests_sent.Add(1);
}

bool DpdkBackend::ResolveNextHop(Queue& q, uint32_t destination, uint64_t now, MacAddress* mac) {
  uint32_t hop = destination;
  if (!OnLink(destination)) {
    if (gateway_mac_) {
      *mac = *gateway_mac_;
      return true;
    }
    if (!gateway_) {
      q.counters.Drop(DropReason::kTxNoRoute);
      return false;
    }
    hop = *gateway_;
  } else if (destination == 0xffffffffu || destination == (local_ip_ | ~netmask_)) {
    *mac = kBroadcastMac;
    return true;
  }
  switch (neighbors_.Lookup(hop, now, arp_ageing_, mac)) {
    case NeighborTable::State::kFresh:
      return true;
    case NeighborTable::State::kStale:
      // Still used while we ask again; an answer makes it fresh, silence ends it.
      if (neighbors_.ShouldRequest(hop, now, arp_interval_)) SendArpRequest(q, hop);
      return true;
    case NeighborTable::State::kMiss:
      break;
  }
  if (neighbors_.ShouldRequest(hop, now, arp_interval_)) SendArpRequest(q, hop);
  q.counters.Drop(DropReason::kTxArpUnresolved);
  return false;
}

uint16_t DpdkBackend::Send(uint16_t queue, std::span<const OutPacket> packets) {
  Queue& q = *queues_[queue];
  uint16_t accepted = 0;
  const uint64_t now = rte_get_tsc_cycles();  // once per burst: neighbour ageing needs no more
  for (const OutPacket& packet : packets) {
    if (!packet.destination.address.is_v4()) {
      q.counters.Drop(DropReason::kTxNoRoute);
      continue;
    }
    if (packet.size() + kIpv4HeaderSize + kUdpHeaderSize > mtu_) {
      q.counters.Drop(DropReason::kTxTooBig);
      continue;
    }
    MacAddress next_hop;
    if (!ResolveNextHop(q, packet.destination.address.v4(), now, &next_hop)) continue;
    rte_mbuf* frame = BuildFrame(q, packet, next_hop);
    if (frame == nullptr) continue;
    Enqueue(q, frame);
    ++accepted;
  }
  return accepted;
}

rte_mbuf* DpdkBackend::BuildFrame(Queue& q, const OutPacket& packet, const MacAddress& next_hop) {
  rte_mbuf* head = rte_pktmbuf_alloc(tx_pool_);
  if (head == nullptr) {
    q.counters.Drop(DropReason::kTxNoBuffer);
    return nullptr;
  }
  auto* payload_mbuf =
      packet.payload != nullptr ? static_cast<rte_mbuf*>(packet.payload->handle) : nullptr;
  // A payload in one of our receive mbufs can be shared by reference (and its sum cached).
  const bool ours =
      packet.payload_length > 0 && payload_mbuf != nullptr && payload_mbuf->pool == rx_pool_;
  const bool chained = multi_segment_ && ours;
  const uint32_t inline_bytes =
      static_cast<uint32_t>(packet.header.size()) + (chained ? 0 : packet.payload_length);
  auto* frame =
      reinterpret_cast<uint8_t*>(rte_pktmbuf_append(head, kUdpFrameHeadersSize + inline_bytes));
  if (frame == nullptr) {
    rte_pktmbuf_free(head);
    q.counters.Drop(DropReason::kTxTooBig);
    return nullptr;
  }
  UdpFrameHeaders headers;
  headers.source_mac = mac_;
  headers.destination_mac = next_hop;
  headers.source_ip = local_ip_;
  headers.destination_ip = packet.destination.address.v4();
  headers.source_port = local_.port;
  headers.destination_port = packet.destination.port;
  headers.ip_id = q.ip_id++;
  headers.payload_length = static_cast<uint16_t>(packet.size());
  const UdpFrameSums sums = WriteUdpFrameHeaders(frame, headers);
  uint8_t* body = frame + kUdpFrameHeadersSize;
  if (!packet.header.empty()) std::memcpy(body, packet.header.data(), packet.header.size());
  if (!chained && packet.payload_length > 0) {
    std::memcpy(body + packet.header.size(), packet.payload_data(), packet.payload_length);
  }
  if (chained) {
    rte_mbuf* clone = rte_pktmbuf_alloc(clone_pool_);
    if (clone == nullptr) {
      rte_pktmbuf_free(head);
      q.counters.Drop(DropReason::kTxNoBuffer);
      return nullptr;
    }
    // The clone shares the payload mbuf's buffer (its refcount goes up) and shows only the
    // shared slice of it.
    rte_pktmbuf_attach(clone, payload_mbuf);
    clone->data_off =
        static_cast<uint16_t>(packet.payload_data() - static_cast<uint8_t*>(clone->buf_addr));
    clone->data_len = static_cast<uint16_t>(packet.payload_length);
    clone->pkt_len = packet.payload_length;
    head->next = clone;
    head->nb_segs = 2;
    head->pkt_len += packet.payload_length;
  }
  head->packet_type = kUdpPacketType;
  FillChecksums(head, packet, ours, q.id, sums);
  return head;
}

void DpdkBackend::FillChecksums(rte_mbuf* frame, const OutPacket& packet, bool shared_payload,
                                uint16_t queue, const UdpFrameSums& sums) {
  uint8_t* ip = rte_pktmbuf_mtod(frame, uint8_t*) + kEthernetHeaderSize;
  uint8_t* udp = ip + kIpv4HeaderSize;
  if (ip_checksum_offload_ || udp_checksum_offload_) {
    frame->ol_flags |= RTE_MBUF_F_TX_IPV4;
    frame->l2_len = kEthernetHeaderSize;
    frame->l3_len = kIpv4HeaderSize;
  }
  if (ip_checksum_offload_) {
    frame->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
  } else {
    std::memcpy(ip + 10, &sums.ip_header_checksum, sizeof(sums.ip_header_checksum));
  }
  uint16_t checksum;
  if (udp_checksum_offload_) {
    frame->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
    checksum = sums.pseudo_header_sum;  // the NIC expects the pseudo-header sum in place
  } else {
    // Summed from the sources, never from the frame just written (see UdpFrameSums). A payload
    // in one of our receive mbufs is the same bytes in every output of a fan-out, whether it is
    // chained or was copied inline: its sum is taken once and cached (PayloadSum).
    const uint32_t prefix_length = kUdpHeaderSize + static_cast<uint32_t>(packet.header.size());
    const uint16_t prefix_sum =
        AddRawSums(sums.udp_header_sum,
                   RawSum(packet.header.data(), static_cast<uint32_t>(packet.header.size())));
    uint16_t payload_sum = 0;
    if (packet.payload_length > 0) {
      payload_sum = shared_payload ? PayloadSum(packet, queue)
                                   : RawSum(packet.payload_data(), packet.payload_length);
    }
    checksum = CombineUdpChecksum(sums.pseudo_header_sum, prefix_sum, prefix_length, payload_sum);
  }
  std::memcpy(udp + 6, &checksum, sizeof(checksum));
}

uint16_t DpdkBackend::PayloadSum(const OutPacket& packet, uint16_t queue) {
  const uint8_t* data = packet.payload_data();
  // The cache lives in the payload mbuf and belongs to the queue that received it.
  if (packet.payload->queue != queue) return RawSum(data, packet.payload_length);
  auto* priv = reinterpret_cast<PacketPrivate*>(const_cast<Packet*>(packet.payload));
  if (priv->summed_data != data || priv->summed_length != packet.payload_length) {
    priv->sum = RawSum(data, packet.payload_length);
    priv->summed_data = data;
    priv->summed_length = packet.payload_length;
  }
  return priv->sum;
}

void DpdkBackend::Enqueue(Queue& q, rte_mbuf* mbuf) {
  q.tx[q.tx_count++] = mbuf;
  if (q.tx_count >= kBurstSize) FlushTx(q);
}

void DpdkBackend::FlushTx(Queue& q) {
  if (q.tx_count == 0) return;
  // Read what the stats need before the driver owns (and may free) the mbufs.
  std::array<uint32_t, kTxBufferSize> payload_bytes;
  for (uint16_t i = 0; i < q.tx_count; ++i) {
    const rte_mbuf* mbuf = q.tx[i];
    payload_bytes[i] =
        mbuf->packet_type == kUdpPacketType ? mbuf->pkt_len - kUdpFrameHeadersSize : UINT32_MAX;
  }
  const uint16_t sent = rte_eth_tx_burst(port_, q.id, q.tx.data(), q.tx_count);
  uint64_t packets = 0;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < sent; ++i) {
    if (payload_bytes[i] == UINT32_MAX) continue;
    ++packets;
    bytes += payload_bytes[i];
  }
  uint64_t dropped = 0;
  for (uint16_t i = sent; i < q.tx_count; ++i) dropped += payload_bytes[i] != UINT32_MAX;
  if (sent < q.tx_count) rte_pktmbuf_free_bulk(&q.tx[sent], q.tx_count - sent);
  q.counters.tx_packets.Add(packets);
  q.counters.tx_bytes.Add(bytes);
  if (dropped > 0) q.counters.Drop(DropReason::kTxWouldBlock, dropped);
  q.tx_count = 0;
}

void DpdkBackend::Flush(uint16_t queue) { FlushTx(*queues_[queue]); }

void DpdkBackend::Free(uint16_t /*queue*/, std::span<Packet* const> packets) {
  std::array<rte_mbuf*, kBurstSize> mbufs;
  while (!packets.empty()) {
    const size_t chunk = std::min<size_t>(packets.size(), kBurstSize);
    for (size_t i = 0; i < chunk; ++i) mbufs[i] = static_cast<rte_mbuf*>(packets[i]->handle);
    rte_pktmbuf_free_bulk(mbufs.data(), static_cast<unsigned>(chunk));
    packets = packets.subspan(chunk);
  }
}

}  // namespace mgw::io
