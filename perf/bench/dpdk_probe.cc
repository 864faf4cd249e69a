// mgw-dpdk-probe: the load source and sink of mgw-bench's dpdk latency trials. A DPDK process of
// its own on one core, attached to the dataplane under test (or to dpdk-testpmd, the baseline)
// through a shared-memory `net_memif` link: it sends the benchmark's publisher frames, each
// stamped with its send time, either paced at --rate or as fast as the link takes them, and
// receives every output the other side sends back, reading the stamp for the latency. net_pcap
// (the throughput trials' device) cannot do this: its TX side is a counter, nothing receives.
//
// Out: one JSON object on stdout (sent, received, rates, latency percentiles), or an error on
// stderr and exit status 1.

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "latency_histogram.h"
#include "load_packet.h"
#include "pcap_writer.h"

namespace {

using mgw::bench::kFrameHeadersSize;
using mgw::bench::LatencyHistogram;
using mgw::bench::MonotonicNanos;

struct Options {
  std::string vdev;  // e.g. net_memif0,role=client,socket=/tmp/x.sock,socket-abstract=no
  std::string core = "0";
  uint32_t publishers = 10;
  size_t packet_size = 1200;
  double rate_pps = 0;  // 0: as fast as the link takes them
  double seconds = 2;
  double warmup_seconds = 0.5;
  double link_timeout_seconds = 10;
  // With --half-of-max: first a blast window of this length; the paced window then runs at half
  // of what came back divided by --outputs (outputs per input: the fan-out), on the same link.
  bool half_of_max = false;
  uint32_t outputs = 1;
  double max_seconds = 1;
};

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << "mgw-dpdk-probe: " << what << "\n";
  std::exit(1);
}

struct Counts {
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t foreign = 0;  // frames without a stamp of this run (ARP, stragglers)
};

class Probe {
 public:
  Probe(const Options& o, uint16_t port, rte_mempool* pool) : o_(o), port_(port), pool_(pool) {
    frames_.resize(o.publishers, std::vector<uint8_t>(kFrameHeadersSize + o.packet_size));
    for (uint32_t p = 0; p < o.publishers; ++p) {
      mgw::bench::WritePublisherFrame(frames_[p].data(), o.packet_size, p);
    }
    seq_.assign(o.publishers, 0);
  }

  // Runs warm-up then the measured window (rate 0: as fast as the link takes them); counts and
  // records only what was sent in the window.
  void Run(double rate_pps, double seconds) {
    counts_ = {};
    histogram_.Clear();
    max_ns_ = 0;
    const uint64_t start = MonotonicNanos();
    window_start_ = start + static_cast<uint64_t>(o_.warmup_seconds * 1e9);
    window_end_ = window_start_ + static_cast<uint64_t>(seconds * 1e9);
    const double interval = rate_pps > 0 ? 1e9 / rate_pps : 0;
    double next_send = static_cast<double>(start);
    // Receive for a while after the last send so late outputs are counted, not lost.
    const uint64_t drain_end = window_end_ + 50'000'000;
    for (;;) {
      const uint64_t now = MonotonicNanos();
      if (now >= drain_end) break;
      if (now < window_end_) {
        if (interval == 0) {
          Send(kBurst, now);
        } else if (static_cast<double>(now) >= next_send) {
          // Paced single packets; if the loop fell behind, catch up in one burst but never
          // more than a burst (a stall must not become a flood).
          uint32_t due = 1;
          while (due < kBurst && static_cast<double>(now) >= next_send + due * interval) ++due;
          const uint32_t sent = Send(due, now);
          next_send += sent * interval;
          if (static_cast<double>(now) > next_send + kBurst * interval) next_send = now;
        }
      }
      Receive();
    }
  }

  const Counts& counts() const { return counts_; }
  const LatencyHistogram& histogram() const { return histogram_; }
  uint64_t max_ns() const { return max_ns_; }

 private:
  static constexpr uint32_t kBurst = 32;
  static constexpr uint8_t kTrial = 7;

  uint32_t Send(uint32_t n, uint64_t now) {
    rte_mbuf* mbufs[kBurst];
    if (rte_pktmbuf_alloc_bulk(pool_, mbufs, n) != 0) return 0;
    const bool in_window = now >= window_start_;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t p = next_publisher_;
      next_publisher_ = next_publisher_ + 1 == o_.publishers ? 0 : next_publisher_ + 1;
      const std::vector<uint8_t>& frame = frames_[p];
      auto* data = reinterpret_cast<uint8_t*>(
          rte_pktmbuf_append(mbufs[i], static_cast<uint16_t>(frame.size())));
      std::memcpy(data, frame.data(), frame.size());
      const uint16_t seq = seq_[p]++;
      // Warm-up packets carry another trial number, so the sink never mistakes them for the
      // window's and the window's rate is exactly what was sent in it.
      mgw::bench::StampLoadPacket(data + kFrameHeadersSize, seq, 3000u * seq, now,
                                  in_window ? kTrial : kTrial + 1);
    }
    const uint16_t sent = rte_eth_tx_burst(port_, 0, mbufs, static_cast<uint16_t>(n));
    if (sent < n) rte_pktmbuf_free_bulk(mbufs + sent, n - sent);
    if (in_window) counts_.sent += sent;
    return sent;
  }

  void Receive() {
    rte_mbuf* mbufs[64];
    const uint16_t n = rte_eth_rx_burst(port_, 0, mbufs, 64);
    if (n == 0) return;
    const uint64_t now = MonotonicNanos();
    for (uint16_t i = 0; i < n; ++i) {
      const rte_mbuf* m = mbufs[i];
      const auto* data = rte_pktmbuf_mtod(m, const uint8_t*);
      std::optional<mgw::bench::LoadStamp> stamp;
      if (m->data_len > kFrameHeadersSize) {
        stamp =
            mgw::bench::ReadLoadStamp(data + kFrameHeadersSize, m->data_len - kFrameHeadersSize);
      }
      if (!stamp || stamp->trial != kTrial || stamp->send_ns > now) {
        ++counts_.foreign;
        continue;
      }
      ++counts_.received;
      const uint64_t latency = now - stamp->send_ns;
      histogram_.Record(latency);
      if (latency > max_ns_) max_ns_ = latency;
    }
    rte_pktmbuf_free_bulk(mbufs, n);
  }

  const Options& o_;
  uint16_t port_;
  rte_mempool* pool_;
  std::vector<std::vector<uint8_t>> frames_;
  std::vector<uint16_t> seq_;
  uint32_t next_publisher_ = 0;
  uint64_t window_start_ = 0;
  uint64_t window_end_ = 0;
  Counts counts_;
  LatencyHistogram histogram_;
  uint64_t max_ns_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "mgw-dpdk-probe: stamped load through a net_memif link and latency of what comes back"};
  app.add_option("--vdev", o.vdev, "the link, as EAL --vdev devargs (one port)")->required();
  app.add_option("--core", o.core, "the one CPU to run on (EAL -l)");
  app.add_option("--publishers", o.publishers, "publishers, round-robin")
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--size", o.packet_size, "RTP packet size in bytes")
      ->check(CLI::Range(size_t{mgw::bench::kMinLoadPacketSize}, size_t{1458}));
  app.add_option("--rate", o.rate_pps, "paced packets/s; 0 sends as fast as the link takes them");
  app.add_option("--seconds", o.seconds, "measured window");
  app.add_option("--warmup", o.warmup_seconds, "sending before the window");
  app.add_option("--link-timeout", o.link_timeout_seconds, "seconds to wait for the link");
  app.add_flag("--half-of-max", o.half_of_max,
               "blast first, then run paced at half the input rate that came back");
  app.add_option("--outputs", o.outputs, "outputs per input (the fan-out), for --half-of-max")
      ->check(CLI::Range(1u, 1000u));
  app.add_option("--max-seconds", o.max_seconds, "the blast window of --half-of-max");
  CLI11_PARSE(app, argc, argv);

  const std::string prefix = "--file-prefix=mgwprobe" + std::to_string(getpid());
  const std::string vdev = "--vdev=" + o.vdev;
  std::vector<std::string> eal_args = {argv[0],
                                       "--no-huge",
                                       "-m",
                                       "256",
                                       prefix,
                                       "--no-pci",
                                       "--no-telemetry",
                                       "-l",
                                       o.core,
                                       vdev,
                                       "--log-level=lib.eal:warning"};
  std::vector<char*> eal_argv;
  for (std::string& a : eal_args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    Fail(std::string("rte_eal_init: ") + rte_strerror(rte_errno));
  }
  if (rte_eth_dev_count_avail() != 1) Fail("expected exactly one port from --vdev");
  uint16_t port = 0;
  RTE_ETH_FOREACH_DEV(port) break;
  rte_mempool* pool = rte_pktmbuf_pool_create("probe", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                              static_cast<int>(rte_socket_id()));
  if (pool == nullptr) Fail(std::string("rte_pktmbuf_pool_create: ") + rte_strerror(rte_errno));
  rte_eth_conf conf{};
  if (int r = rte_eth_dev_configure(port, 1, 1, &conf); r != 0) {
    Fail("rte_eth_dev_configure: " + std::string(rte_strerror(-r)));
  }
  const int socket = rte_eth_dev_socket_id(port);
  if (int r = rte_eth_rx_queue_setup(port, 0, 1024, socket, nullptr, pool); r != 0) {
    Fail("rte_eth_rx_queue_setup: " + std::string(rte_strerror(-r)));
  }
  if (int r = rte_eth_tx_queue_setup(port, 0, 1024, socket, nullptr); r != 0) {
    Fail("rte_eth_tx_queue_setup: " + std::string(rte_strerror(-r)));
  }
  // A memif server refuses a client that comes before its port is started (testpmd listens
  // before it starts its port), and the client asks only when its port starts: so start, wait a
  // second for the link, and stop and start again until it comes up or time runs out.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(o.link_timeout_seconds);
  for (bool up = false; !up;) {
    if (int r = rte_eth_dev_start(port); r != 0 && std::chrono::steady_clock::now() > deadline) {
      Fail("rte_eth_dev_start: " + std::string(rte_strerror(-r)));
    }
    for (int i = 0; i < 100 && !up; ++i) {
      rte_eth_link link{};
      rte_eth_link_get_nowait(port, &link);
      up = link.link_status == RTE_ETH_LINK_UP;
      if (!up) rte_delay_ms(10);
    }
    if (up) break;
    if (std::chrono::steady_clock::now() > deadline) Fail("the link did not come up: " + o.vdev);
    rte_eth_dev_stop(port);
    rte_delay_ms(100);
  }

  Probe probe(o, port, pool);
  boost::json::object out;
  double rate = o.rate_pps;
  if (o.half_of_max) {
    probe.Run(0, o.max_seconds);
    const double max_ingress =
        static_cast<double>(probe.counts().received) / o.outputs / o.max_seconds;
    out["max_ingress_pps"] = max_ingress;
    rate = max_ingress / 2;
    if (rate < 1) Fail("nothing came back in the blast window");
  }
  probe.Run(rate, o.seconds);
  const Counts& c = probe.counts();
  const LatencyHistogram& h = probe.histogram();
  out["offered_pps"] = rate;
  out["sent"] = c.sent;
  out["received"] = c.received;
  out["foreign"] = c.foreign;
  out["ingress_pps"] = static_cast<double>(c.sent) / o.seconds;
  out["egress_pps"] = static_cast<double>(c.received) / o.seconds;
  out["p50_us"] = h.PercentileMicros(0.50);
  out["p99_us"] = h.PercentileMicros(0.99);
  out["p999_us"] = h.PercentileMicros(0.999);
  out["max_us"] = static_cast<double>(probe.max_ns()) / 1000.0;
  std::cout << boost::json::serialize(out) << std::endl;
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
  rte_eal_cleanup();
  return 0;
}
