#include "trial.h"

#include <netinet/in.h>

#include <chrono>
#include <thread>

namespace mgw::bench {

SocketTrials::SocketTrials(const Topology& topology, size_t packet_size, uint16_t target_port,
                           UdpSink& sink, double seconds, CpuSnapshot cpu_snapshot)
    : topology_(topology),
      generator_(topology, packet_size, INADDR_LOOPBACK, target_port),
      sink_(sink),
      seconds_(seconds),
      cpu_snapshot_(std::move(cpu_snapshot)) {}

TrialResult SocketTrials::Run(double rate_pps, size_t burst, double seconds) {
  trial_ = static_cast<uint8_t>(trial_ % 250 + 1);
  sink_.WaitIdle(50, 3000);  // the previous trial's backlog must not eat this one's window
  sink_.BeginTrial(trial_);
  auto before = cpu_snapshot_();
  UdpGenerator::Result sent =
      generator_.Run(rate_pps, seconds > 0 ? seconds : seconds_, trial_, burst);
  auto after = cpu_snapshot_();
  sink_.WaitIdle(50, 1000);  // this trial's packets still queued count as delivered, late
  UdpSink::Counts got = sink_.EndTrial();
  TrialResult r;
  r.offered_pps = rate_pps;
  r.ingress_pps = static_cast<double>(sent.sent) / sent.seconds;
  r.egress_pps = static_cast<double>(got.packets) / sent.seconds;
  const double expected = static_cast<double>(sent.sent) * topology_.fanout;
  r.loss = expected > 0 ? 1.0 - static_cast<double>(got.packets) / expected : 1.0;
  if (r.loss < 0) r.loss = 0;
  r.p50_us = got.p50_us;
  r.p99_us = got.p99_us;
  r.p999_us = got.p999_us;
  for (const auto& [tid, entry] : after) {
    auto it = before.find(tid);
    const double used = entry.second - (it == before.end() ? 0 : it->second.second);
    const double share = used / sent.seconds;
    if (share >= 0.02) r.cpu[entry.first + "/" + std::to_string(tid)] = share;
  }
  return r;
}

TrialResult SocketTrials::Search(int steps, std::vector<TrialResult>* all) {
  TrialResult blast = Run(0);
  all->push_back(blast);
  if (blast.loss < kLossThreshold) return blast;
  double lo = 0;
  double hi = blast.ingress_pps;
  TrialResult best = blast;
  bool found = false;
  for (int i = 0; i < steps; ++i) {
    const double mid = (lo + hi) / 2;
    TrialResult t = Run(mid);
    all->push_back(t);
    if (t.loss < kLossThreshold) {
      lo = mid;
      best = t;
      found = true;
    } else {
      hi = mid;
      if (!found && t.loss < best.loss) best = t;
    }
  }
  return best;
}

}  // namespace mgw::bench
