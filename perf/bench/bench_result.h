#pragma once

// What one run of mgw-bench measured: the grid's points with their baselines and ratios, every
// trial (for the rate/latency plot), and the baselines themselves.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trial.h"

namespace mgw::bench {

struct PointSpec {
  std::string backend;
  uint32_t workers = 1;
  uint32_t fanout = 16;
  size_t packet_size = 1200;
  std::string srtp = "off";
  uint32_t publishers = 10;
  double rate_pps = 0;  // fixed offered rate; 0 with search
  bool search = true;
};

struct PointResult {
  PointSpec spec;
  std::string mode;  // "search", "fixed" or "pcap" (dpdk: net_pcap replays as fast as it can)
  std::optional<TrialResult> measured;
  // Latency at half the found rate (search mode), single packets paced evenly; and the kernel
  // relay's at the same offered rate and pacing (socket backends), the path without mgw.
  std::optional<TrialResult> at_half_rate;
  std::optional<TrialResult> baseline_at_half_rate;
  std::string baseline_name;  // "kernel_relay", "testpmd_io", ...
  std::optional<double> baseline_pps;
  std::optional<double> ratio;  // egress / baseline (socket backends: median of --repeat)
  std::optional<double> ratio_min, ratio_max;  // the spread over --repeat
  std::vector<double> ratios;                  // each repetition's
  std::optional<double> srtp_ratio;            // egress / libsrtp raw protect (SRTP points)
  std::vector<TrialResult> trials;
  std::map<std::string, double> dataplane_drops;  // at the end of the point
  std::string error;
};

struct BaselineResult {
  std::string name;  // kernel_relay, libsrtp_protect, testpmd_io
  std::string detail;
  std::optional<double> pps;
  std::optional<TrialResult> trial;
  std::string note;
};

struct RunResult {
  std::string command;
  std::string machine;
  std::vector<PointResult> points;
  std::vector<BaselineResult> baselines;
  double seconds = 0;
};

// results.json, results.csv and, when gnuplot is installed, rate_latency.png and scaling.png.
void WriteReports(const RunResult& run, const std::string& directory);

}  // namespace mgw::bench
