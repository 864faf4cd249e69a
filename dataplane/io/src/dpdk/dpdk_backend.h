#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dpdk/neighbor_table.h"
#include "dpdk/udp_frame.h"
#include "mgw/io/backend_config.h"
#include "mgw/io/backend_factory.h"
#include "mgw/io/packet_backend.h"

namespace mgw::io {

// Kernel bypass on one DPDK ethdev: one RX and one TX queue per worker, RSS over IPv4/UDP when
// the port has it. The backend owns config.local (IPv4) on the port: it parses Ethernet/IPv4/UDP,
// answers ARP for its address, resolves next hops through ARP (or a static gateway MAC) and builds
// Ethernet/IPv4/UDP on send, offloading checksums when the port can. A fan-out output is a header
// mbuf chained to an indirect mbuf attached to the shared payload (reference counted, never
// copied). Sends collect in a per-queue TX buffer, pushed when 32 are waiting and at Flush.
class DpdkBackend final : public PacketBackend {
 public:
  static BackendResult Create(const BackendConfig& config);
  ~DpdkBackend() override;

  std::string_view name() const override { return "dpdk"; }
  uint16_t queue_count() const override { return static_cast<uint16_t>(queues_.size()); }
  Endpoint local_endpoint() const override { return local_; }
  void AttachWorker(uint16_t queue) override;
  uint16_t Receive(uint16_t queue, std::span<Packet*> out) override;
  uint16_t Send(uint16_t queue, std::span<const OutPacket> packets) override;
  void Flush(uint16_t queue) override;
  void Free(uint16_t queue, std::span<Packet* const> packets) override;
  bool Wait(uint16_t /*queue*/, std::chrono::milliseconds /*timeout*/) override { return true; }
  void Wake(uint16_t /*queue*/) override {}
  IoStats Stats(uint16_t queue) const override { return queues_[queue]->counters.Snapshot(); }

  uint16_t port_id_for_test() const { return port_; }
  MacAddress mac_for_test() const { return mac_; }
  // False when the port cannot send chained mbufs; outputs are then copied into one mbuf.
  bool clone_by_reference_for_test() const { return multi_segment_; }
  static rte_mbuf* MbufOfForTest(const Packet& packet) {
    return static_cast<rte_mbuf*>(packet.handle);
  }

 private:
  static constexpr uint16_t kTxBufferSize = 2 * kBurstSize;

  // Lives in each receive mbuf's private area: the Packet handed out, plus the sum of its payload
  // once a fan-out computed it, so N outputs sum the shared bytes once.
  struct PacketPrivate {
    Packet packet;
    const uint8_t* summed_data;
    uint32_t summed_length;
    uint16_t sum;
  };

  struct alignas(64) Queue {
    uint16_t id = 0;
    uint16_t ip_id = 0;
    uint16_t tx_count = 0;
    QueueCounters counters;
    std::array<rte_mbuf*, kTxBufferSize> tx{};
    std::array<rte_mbuf*, kBurstSize> rx{};
  };

  DpdkBackend() = default;
  bool Open(const BackendConfig& config, std::string* error);
  bool AttachPort(const std::string& port, std::string* error);

  rte_mbuf* AdoptForeign(rte_mbuf* mbuf);
  void HandleArp(Queue& q, rte_mbuf* mbuf, const ArpInfo& arp);
  void SendArpRequest(Queue& q, uint32_t target_ip);
  // The next hop's MAC for `destination`; on a miss counts the drop and may send an ARP request.
  bool ResolveNextHop(Queue& q, uint32_t destination, uint64_t now, MacAddress* mac);
  rte_mbuf* BuildFrame(Queue& q, const OutPacket& packet, const MacAddress& next_hop);
  // `shared_payload`: the payload lies in one of our receive mbufs, so its sum can be cached
  // there for the other outputs of the fan-out.
  void FillChecksums(rte_mbuf* frame, const OutPacket& packet, bool shared_payload, uint16_t queue,
                     const UdpFrameSums& sums);
  uint16_t PayloadSum(const OutPacket& packet, uint16_t queue);
  void Enqueue(Queue& q, rte_mbuf* mbuf);
  void FlushTx(Queue& q);
  bool OnLink(uint32_t ip) const { return (ip & netmask_) == (local_ip_ & netmask_); }

  Endpoint local_;
  uint32_t local_ip_ = 0;
  uint32_t netmask_ = 0;
  std::optional<uint32_t> gateway_;
  std::optional<MacAddress> gateway_mac_;
  MacAddress mac_{};
  uint16_t port_ = 0;
  bool port_started_ = false;
  bool port_configured_ = false;
  std::string hotplugged_name_;  // set when we attached the device, removed again at the end
  uint16_t mtu_ = RTE_ETHER_MTU;
  bool ip_checksum_offload_ = false;
  bool udp_checksum_offload_ = false;
  bool rx_checksum_flags_ = false;
  bool multi_segment_ = false;
  uint64_t arp_interval_ = 0;         // TSC ticks between ARP requests for one address
  NeighborTable::Ageing arp_ageing_;  // in TSC ticks
  rte_mempool* rx_pool_ = nullptr;
  rte_mempool* tx_pool_ = nullptr;
  rte_mempool* clone_pool_ = nullptr;
  NeighborTable neighbors_;
  std::vector<std::unique_ptr<Queue>> queues_;
};

}  // namespace mgw::io
