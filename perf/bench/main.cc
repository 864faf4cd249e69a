// mgw-bench: the packet benchmark harness (see perf/README.md).
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "bench_options.h"
#include "bench_result.h"
#include "cpu_pinning.h"
#include "dataplane_process.h"
#include "kernel_relay.h"
#include "pcap_writer.h"
#include "srtp_baseline.h"
#include "testpmd_baseline.h"
#include "trial.h"
#include "udp_socket.h"

namespace mgw::bench {
namespace {

SrtpMode ParseSrtp(const std::string& s) {
  if (s == "aes_cm" || s == "AES_CM_128_HMAC_SHA1_80") return SrtpMode::kAesCm;
  if (s == "gcm" || s == "AEAD_AES_128_GCM") return SrtpMode::kGcm;
  if (s == "off") return SrtpMode::kOff;
  throw std::runtime_error("--srtp: expected off, aes_cm or gcm, got " + s);
}

std::string Machine() {
  utsname u{};
  uname(&u);
  return std::to_string(std::thread::hardware_concurrency()) + " cores, Linux " + u.release;
}

std::string DefaultDataplane() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "mgw-dataplane").string();
}

CpuSnapshot ProcessCpu(const DataplaneProcess& process) {
  return [&process] {
    std::map<int, std::pair<std::string, double>> out;
    for (const auto& [tid, cpu] : process.Cpu()) out[tid] = {cpu.name, cpu.seconds};
    return out;
  };
}

CpuSnapshot RelayCpu(const KernelRelay& relay) {
  return [&relay] {
    return std::map<int, std::pair<std::string, double>>{{0, {"relay", relay.CpuSeconds()}}};
  };
}

class Bench {
 public:
  explicit Bench(BenchOptions options) : o_(std::move(options)) {
    if (o_.dataplane.empty()) o_.dataplane = DefaultDataplane();
  }

  RunResult Run() {
    const auto start = std::chrono::steady_clock::now();
    RunResult run;
    run.command = o_.command;
    run.machine = Machine();
    for (const auto& backend : o_.backends)
      for (uint32_t workers : o_.workers)
        for (uint32_t fanout : o_.fanouts)
          for (size_t size : o_.sizes)
            for (const auto& srtp : o_.srtp)
              for (uint32_t publishers : o_.publishers) {
                PointSpec spec{backend, workers,    fanout,      size,
                               srtp,    publishers, o_.rate_pps, o_.rate_pps == 0};
                PointResult point = RunPoint(spec);
                PrintPoint(point);
                run.points.push_back(std::move(point));
              }
    for (auto& b : relay_) run.baselines.push_back(b);
    for (auto& [key, b] : srtp_) run.baselines.push_back(b);
    for (auto& [key, b] : testpmd_) run.baselines.push_back(b);
    for (const auto& b : run.baselines) PrintBaseline(b);
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return run;
  }

 private:
  PointResult RunPoint(const PointSpec& spec) {
    PointResult p;
    p.spec = spec;
    try {
      const SrtpMode srtp = ParseSrtp(spec.srtp);
      if (spec.packet_size < 64 || spec.packet_size > 1400) {
        throw std::runtime_error("--size: expected 64 to 1400 bytes");
      }
      if (spec.backend == "dpdk") {
        RunDpdkPoint(spec, srtp, &p);
      } else {
        RunSocketPoint(spec, srtp, &p);
      }
      if (srtp != SrtpMode::kOff && o_.baselines && p.measured) {
        const BaselineResult& b = SrtpBaseline(srtp, spec.packet_size);
        if (b.pps && *b.pps > 0) p.srtp_ratio = p.measured->egress_pps / *b.pps;
      }
    } catch (const std::exception& e) {
      p.error = e.what();
    }
    return p;
  }

  // Room for every publisher and subscriber, and every leg (each subscriber takes each
  // publisher's stream), with headroom; never below the dataplane's defaults.
  static void SizeTables(const Topology& topology, DataplaneOptions* d) {
    const uint64_t participants = 2ull * (topology.publishers + topology.fanout);
    const uint64_t legs = 2ull * topology.publishers * (topology.fanout + 1);
    d->max_participants = static_cast<uint32_t>(std::max<uint64_t>(4096, participants));
    d->max_legs = static_cast<uint32_t>(std::max<uint64_t>(131072, legs));
  }

  // The dataplane and the kernel relay are measured in turn, --repeat times, so that a slow
  // spell of the shared machine lands on both sides of some pair rather than on one side of the
  // ratio; the point reports the median pair's ratio and the spread.
  void RunSocketPoint(const PointSpec& spec, SrtpMode srtp, PointResult* p) {
    const Topology topology{spec.publishers, spec.fanout};
    DataplaneOptions d;
    d.binary = o_.dataplane;
    d.backend = spec.backend;
    d.workers = spec.workers;
    SizeTables(topology, &d);
    d.media_port = PickFreeUdpPort();
    d.idle_poll_us = o_.idle_poll_us;
    d.srtp_protect = o_.srtp_protect;
    const int forwarding_cpu = o_.pin && spec.workers == 1 ? ForwardingCpu() : -1;
    if (forwarding_cpu >= 0) d.worker_cpus = {forwarding_cpu};
    DataplaneProcess process(d);
    process.Program(topology, srtp, sink_.port(), false);
    // Pinned after the fork above, which would otherwise pass the mask to mgw-dataplane.
    struct LoadPlacement {
      explicit LoadPlacement(bool pin, UdpSink& sink) : pinned(pin) {
        if (pinned) PinCurrentThread(LoadCpu()), PinThread(sink.thread(), LoadCpu());
      }
      ~LoadPlacement() {
        if (pinned) PinCurrentThread(-1);
      }
      bool pinned;
    } placement(forwarding_cpu >= 0, sink_);
    relay_cpu_ = forwarding_cpu;
    SocketTrials trials(topology, spec.packet_size, d.media_port, sink_, o_.trial_seconds,
                        ProcessCpu(process));
    trials.Run(20'000);  // warm-up: addresses latch, encodings turn active, legs start
    p->mode = spec.search ? "search" : "fixed";
    p->baseline_name = "kernel_relay";
    std::vector<TrialResult> runs;
    std::vector<TrialResult> relay_runs;
    for (int r = 0; r < o_.repeats; ++r) {
      runs.push_back(spec.search ? trials.Search(o_.search_steps, &p->trials)
                                 : trials.Run(spec.rate_pps));
      if (!spec.search) p->trials.push_back(runs.back());
      if (!o_.baselines) continue;
      relay_runs.push_back(MeasureRelay(topology, spec.packet_size));
      const double relay_pps = relay_runs.back().egress_pps;
      if (relay_pps > 0) p->ratios.push_back(runs.back().egress_pps / relay_pps);
    }
    // The median run by egress is the point's figure; the ratio is the median of the pairs'.
    std::vector<size_t> order(runs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return runs[a].egress_pps < runs[b].egress_pps; });
    p->measured = runs[order[order.size() / 2]];
    if (spec.search) {
      const double half = p->measured->ingress_pps / 2;
      p->at_half_rate = trials.Run(half, 1, o_.latency_seconds);
      p->trials.push_back(*p->at_half_rate);
      if (o_.baselines) p->baseline_at_half_rate = RelayLatency(topology, spec.packet_size, half);
    }
    p->dataplane_drops = process.ScrapeDrops();
    if (!o_.baselines || p->ratios.empty()) return;
    std::vector<double> sorted = p->ratios;
    std::sort(sorted.begin(), sorted.end());
    p->ratio = sorted[sorted.size() / 2];
    p->ratio_min = sorted.front();
    p->ratio_max = sorted.back();
    std::sort(relay_runs.begin(), relay_runs.end(), [](const TrialResult& a, const TrialResult& b) {
      return a.egress_pps < b.egress_pps;
    });
    const TrialResult& median_relay = relay_runs[relay_runs.size() / 2];
    p->baseline_pps = median_relay.egress_pps;
    BaselineResult b;
    b.name = "kernel_relay";
    b.detail = spec.backend + " point: recvmmsg/sendmmsg relay, 1 thread, fanout " +
               std::to_string(topology.fanout) + ", " + std::to_string(spec.packet_size) + " B, " +
               std::to_string(topology.publishers) + " publishers, median of " +
               std::to_string(relay_runs.size());
    b.pps = median_relay.egress_pps;
    b.trial = median_relay;
    relay_.emplace_back(std::move(b));
  }

  TrialResult MeasureRelay(const Topology& topology, size_t size) {
    KernelRelay relay(topology, sink_.port(), relay_cpu_);
    SocketTrials trials(topology, size, relay.port(), sink_, o_.trial_seconds, RelayCpu(relay));
    trials.Run(20'000);
    std::vector<TrialResult> all;
    return o_.rate_pps > 0 ? trials.Run(o_.rate_pps) : trials.Search(o_.search_steps, &all);
  }

  // The relay's latency at the offered rate the dataplane's was taken at, paced the same way.
  TrialResult RelayLatency(const Topology& topology, size_t size, double rate_pps) {
    KernelRelay relay(topology, sink_.port(), relay_cpu_);
    SocketTrials trials(topology, size, relay.port(), sink_, o_.trial_seconds, RelayCpu(relay));
    trials.Run(20'000);
    return trials.Run(rate_pps, 1, o_.latency_seconds);
  }

  const BaselineResult& SrtpBaseline(SrtpMode suite, size_t size) {
    const std::string key = ToString(suite) + "/" + std::to_string(size);
    auto it = srtp_.find(key);
    if (it != srtp_.end()) return it->second;
    BaselineResult b;
    b.name = "libsrtp_protect";
    b.detail = ToString(suite) + ", " + std::to_string(size) + " B, one core";
    b.pps = MeasureLibsrtpProtectRate(suite, size, o_.quick ? 0.1 : 0.5);
    return srtp_[key] = b;
  }

  // net_pcap replaying one generated pcap per worker queue (infinite_rx); with only rx_pcap
  // given, the PMD's TX queues count and drop every frame, which is what net_null does.
  //
  // Every pcap of the run holds the same number of frames, enough for each of the grid's
  // publishers to appear in its queue's file: the replay's cost (net_pcap copies each frame from
  // the file's mbufs, whose working set is the file) is then the same at every point, and a
  // 10,000-publisher point really has 10,000 publishers sending. Until 2026-11-23 the files held
  // min(8 x publishers, 2,048) frames, so that point had only its first 2,048 publishers active
  // and its baseline replayed a different file.
  std::string PcapDevargs(const PointSpec& spec) {
    const Topology topology{spec.publishers, spec.fanout};
    const uint32_t most = *std::max_element(o_.publishers.begin(), o_.publishers.end());
    const size_t frames = std::max<size_t>(512, (most + spec.workers - 1) / spec.workers);
    std::string devargs = "net_pcap0";
    for (uint32_t w = 0; w < spec.workers; ++w) {
      const std::string path = "/tmp/mgw-bench-" + std::to_string(getpid()) + "-" +
                               std::to_string(spec.packet_size) + "-" +
                               std::to_string(spec.publishers) + "-q" + std::to_string(w) + "-of" +
                               std::to_string(spec.workers) + ".pcap";
      if (!std::filesystem::exists(path)) {
        WritePublisherPcap(path, topology, spec.packet_size, w, spec.workers, frames);
        pcaps_.push_back(path);
      }
      devargs += ",rx_pcap=" + path;
    }
    return devargs + ",infinite_rx=1";
  }

  void RunDpdkPoint(const PointSpec& spec, SrtpMode srtp, PointResult* p) {
    const Topology topology{spec.publishers, spec.fanout};
    DataplaneOptions d;
    d.binary = o_.dataplane;
    d.backend = "dpdk";
    d.workers = spec.workers;
    d.srtp_protect = o_.srtp_protect;
    SizeTables(topology, &d);
    const std::string devargs = o_.dpdk_port.empty() ? PcapDevargs(spec) : o_.dpdk_port;
    d.dpdk_port = devargs;
    d.eal_args = o_.dpdk_eal;
    if (d.eal_args.empty()) {
      d.eal_args = {"--no-huge",
                    "-m",
                    "1024",
                    "--no-shconf",
                    "--file-prefix=mgwb" + std::to_string(getpid()),
                    "--no-pci",
                    "--no-telemetry",
                    "--lcores=0@(" + StartCpuList() + ")",
                    "--log-level=lib.eal:warning"};
    }
    p->mode = "pcap";
    {
      DataplaneProcess process(d);
      process.Program(topology, srtp, 0, true);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // legs start, caches warm
      auto cpu = ProcessCpu(process);
      auto before_cpu = cpu();
      auto before = process.ScrapeIo();
      const auto t0 = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::chrono::duration<double>(o_.trial_seconds * 2));
      auto after = process.ScrapeIo();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      auto after_cpu = cpu();
      TrialResult t;
      t.ingress_pps = (after.rx_packets - before.rx_packets) / seconds;
      t.egress_pps = (after.tx_packets - before.tx_packets) / seconds;
      const double expected = t.ingress_pps * spec.fanout;
      t.loss = expected > 0 ? std::max(0.0, 1.0 - t.egress_pps / expected) : 1.0;
      for (const auto& [tid, entry] : after_cpu) {
        auto it = before_cpu.find(tid);
        const double share =
            (entry.second - (it == before_cpu.end() ? 0 : it->second.second)) / seconds;
        if (share >= 0.02) t.cpu[entry.first + "/" + std::to_string(tid)] = share;
      }
      p->measured = t;
      p->trials.push_back(t);
      p->dataplane_drops = process.ScrapeDrops();
    }
    p->baseline_name = "testpmd_io";
    if (o_.dpdk_latency && o_.dpdk_port.empty() && spec.workers == 1) {
      RunDpdkLatency(spec, srtp, d, p);
    }
    if (!o_.baselines || !o_.dpdk_port.empty()) return;
    const BaselineResult& tp = TestpmdBaseline(spec, devargs);
    p->baseline_pps = tp.pps;
    if (tp.pps && *tp.pps > 0) p->ratio = p->measured->egress_pps / *tp.pps;
  }

  // net_pcap cannot carry latency (its TX is a counter), so the latency trials use another
  // device: a net_memif link between the dataplane (server, worker on ForwardingCpu()) and
  // mgw-dpdk-probe on LoadCpu(), which sends the publishers' frames stamped and receives every
  // output. A blast window finds the link's maximum; the latency is taken at half of it, and
  // testpmd io-forwarding on the same link at the same rate is the path without mgw.
  void RunDpdkLatency(const PointSpec& spec, SrtpMode srtp, DataplaneOptions d, PointResult* p) {
    const Topology topology{spec.publishers, spec.fanout};
    const std::string pid = std::to_string(getpid());
    const std::string socket = "/tmp/mgw-bench-" + pid + "-memif.sock";
    const std::string link = ",socket=" + socket + ",socket-abstract=no";
    std::filesystem::remove(socket);
    d.dpdk_port = "net_memif0,role=server" + link;
    if (ForwardingCpu() >= 0) d.worker_cpus = {ForwardingCpu()};
    // Shared EAL configuration (no --no-shconf): net_memif needs the multi-process channel.
    d.eal_args = {"--no-huge",
                  "-m",
                  "1024",
                  "--file-prefix=mgwbm" + pid,
                  "--no-pci",
                  "--no-telemetry",
                  "--lcores=0@(" + StartCpuList() + ")",
                  "--log-level=lib.eal:warning"};
    const std::string client = "net_memif0,role=client" + link;
    const double seconds = o_.quick ? 1.0 : 2.0;
    double half = 0;
    {
      DataplaneProcess process(d);
      process.Program(topology, srtp, 0, true);
      // One probe run finds the maximum and measures at half of it: the memif server takes a
      // second client on the same process only after a delay, so one connection serves both.
      try {
        p->at_half_rate = RunProbe(client, spec, 0, seconds, spec.fanout, &half);
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string(e.what()) + "\nmgw-dataplane:\n" + process.LogTail());
      }
      p->trials.push_back(*p->at_half_rate);
    }
    if (!o_.baselines) return;
    std::filesystem::remove(socket);
    TestpmdForwarder testpmd("net_memif0,role=server" + link);  // the probe waits for its link
    p->baseline_at_half_rate = RunProbe(client, spec, half, seconds, 1);
  }

  // One mgw-dpdk-probe run (beside mgw-dataplane); `outputs` per input for the loss figure.
  // With `half_of_max`, rate_pps is ignored: the probe blasts, then runs at half the input rate
  // that came back, which it stores there.
  TrialResult RunProbe(const std::string& vdev, const PointSpec& spec, double rate_pps,
                       double seconds, uint32_t outputs, double* half_of_max = nullptr) {
    const std::string probe =
        std::filesystem::path(o_.dataplane).parent_path().string() + "/mgw-dpdk-probe";
    const std::string command =
        probe + " --vdev '" + vdev + "' --core " + std::to_string(LoadCpu()) + " --publishers " +
        std::to_string(spec.publishers) + " --size " + std::to_string(spec.packet_size) +
        " --rate " + std::to_string(static_cast<uint64_t>(rate_pps)) + " --seconds " +
        std::to_string(seconds) + " --outputs " + std::to_string(outputs) +
        (half_of_max ? " --half-of-max" : "") + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("cannot run " + probe);
    std::string text;
    char chunk[4096];
    while (size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) text.append(chunk, n);
    const int status = pclose(pipe);
    const size_t brace = text.rfind("\n{");
    const std::string line = text.substr(brace == std::string::npos ? 0 : brace + 1);
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(line, ec);
    if (status != 0 || ec || !v.is_object()) {
      throw std::runtime_error("mgw-dpdk-probe failed: " + text.substr(0, 600));
    }
    const boost::json::object& o = v.as_object();
    TrialResult t;
    t.offered_pps = o.at("offered_pps").to_number<double>();
    if (half_of_max) *half_of_max = t.offered_pps;
    t.ingress_pps = o.at("ingress_pps").to_number<double>();
    t.egress_pps = o.at("egress_pps").to_number<double>();
    const double expected = o.at("sent").to_number<double>() * outputs;
    t.loss =
        expected > 0 ? std::max(0.0, 1.0 - o.at("received").to_number<double>() / expected) : 1.0;
    t.p50_us = o.at("p50_us").to_number<double>();
    t.p99_us = o.at("p99_us").to_number<double>();
    t.p999_us = o.at("p999_us").to_number<double>();
    return t;
  }

  const BaselineResult& TestpmdBaseline(const PointSpec& spec, const std::string& devargs) {
    auto it = testpmd_.find(devargs);
    if (it != testpmd_.end()) return it->second;
    BaselineResult b;
    b.name = "testpmd_io";
    b.detail = "dpdk-testpmd --forward-mode=io, 1 forwarding lcore, " +
               std::to_string(spec.packet_size) + " B, " + std::to_string(spec.workers) +
               " rx_pcap queue(s)";
    TestpmdResult r = MeasureTestpmdIoForward(devargs, o_.quick ? 1.0 : 2.0);
    b.pps = r.tx_pps;
    b.note = r.note;
    if (!r.note.empty()) std::cout << "mgw-bench: " << r.note << "\n";
    return testpmd_[devargs] = b;
  }

  static void PrintPoint(const PointResult& p) {
    std::printf("%-6s w%u f%-2u %4zuB srtp=%-23s pub=%-5u ", p.spec.backend.c_str(), p.spec.workers,
                p.spec.fanout, p.spec.packet_size, p.spec.srtp.c_str(), p.spec.publishers);
    if (!p.error.empty()) {
      std::printf("ERROR %s\n", p.error.c_str());
      return;
    }
    const TrialResult& t = *p.measured;
    const TrialResult& lat = p.at_half_rate ? *p.at_half_rate : t;
    std::printf("in %9.0f pps  out %10.0f pps  loss %.4f  p50/p99/p99.9 %.1f/%.1f/%.1f us",
                t.ingress_pps, t.egress_pps, t.loss, lat.p50_us, lat.p99_us, lat.p999_us);
    if (p.ratio) std::printf("  %s ratio %.3f", p.baseline_name.c_str(), *p.ratio);
    if (p.ratio_min && p.ratio_max && p.ratios.size() > 1) {
      std::printf(" (%.3f..%.3f of %zu)", *p.ratio_min, *p.ratio_max, p.ratios.size());
    }
    if (p.baseline_at_half_rate) {
      const TrialResult& r = *p.baseline_at_half_rate;
      std::printf("  %s p50/p99/p99.9 %.1f/%.1f/%.1f us",
                  p.spec.backend == "dpdk" ? "testpmd" : "relay", r.p50_us, r.p99_us, r.p999_us);
      if (p.at_half_rate) {
        std::printf("  added p50/p99 %+.1f/%+.1f us", p.at_half_rate->p50_us - r.p50_us,
                    p.at_half_rate->p99_us - r.p99_us);
      }
    }
    if (p.srtp_ratio) std::printf("  libsrtp ratio %.3f", *p.srtp_ratio);
    std::printf("\n");
    std::fflush(stdout);
  }

  static void PrintBaseline(const BaselineResult& b) {
    std::printf("baseline %-16s %-70s %s\n", b.name.c_str(), b.detail.c_str(),
                b.pps ? std::to_string(static_cast<long long>(*b.pps)).append(" pps").c_str()
                      : b.note.c_str());
  }

 public:
  ~Bench() {
    for (const auto& path : pcaps_) std::remove(path.c_str());
  }

 private:
  BenchOptions o_;
  UdpSink sink_;
  int relay_cpu_ = -1;  // the relay thread's CPU in the current socket point (-1: unpinned)
  std::vector<BaselineResult> relay_;  // one per socket point
  std::map<std::string, BaselineResult> srtp_;
  std::map<std::string, BaselineResult> testpmd_;
  std::vector<std::string> pcaps_;
};

}  // namespace
}  // namespace mgw::bench

int main(int argc, char** argv) {
  mgw::bench::BenchOptions options = mgw::bench::ParseBenchOptions(argc, argv);
  const std::string out = options.out_dir;
  mgw::bench::Bench bench(std::move(options));
  mgw::bench::RunResult run = bench.Run();
  mgw::bench::WriteReports(run, out);
  std::printf("mgw-bench: %.1f s; results in %s/results.json, results.csv\n", run.seconds,
              out.c_str());
  for (const auto& p : run.points) {
    if (!p.error.empty()) return 1;
  }
  return 0;
}
