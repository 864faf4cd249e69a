#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "bench_result.h"

namespace mgw::bench {
namespace json = boost::json;
namespace {

json::value Optional(const std::optional<double>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object TrialJson(const TrialResult& t, size_t packet_size) {
  json::object cpu;
  for (const auto& [name, share] : t.cpu) cpu[name] = share;
  return {{"offered_pps", t.offered_pps},
          {"ingress_pps", t.ingress_pps},
          {"egress_pps", t.egress_pps},
          {"ingress_gbps", t.ingress_pps * static_cast<double>(packet_size) * 8 / 1e9},
          {"egress_gbps", t.egress_pps * static_cast<double>(packet_size) * 8 / 1e9},
          {"loss", t.loss},
          {"latency_us", {{"p50", t.p50_us}, {"p99", t.p99_us}, {"p99_9", t.p999_us}}},
          {"cpu_per_thread", cpu}};
}

json::object PointJson(const PointResult& p) {
  json::object o{{"backend", p.spec.backend},
                 {"workers", p.spec.workers},
                 {"fanout", p.spec.fanout},
                 {"packet_size", p.spec.packet_size},
                 {"srtp", p.spec.srtp},
                 {"publishers", p.spec.publishers},
                 {"mode", p.mode},
                 {"baseline", p.baseline_name},
                 {"baseline_pps", Optional(p.baseline_pps)},
                 {"ratio", Optional(p.ratio)},
                 {"ratio_min", Optional(p.ratio_min)},
                 {"ratio_max", Optional(p.ratio_max)},
                 {"ratios", json::value_from(p.ratios)},
                 {"srtp_ratio", Optional(p.srtp_ratio)},
                 {"error", p.error}};
  o["measured"] =
      p.measured ? json::value(TrialJson(*p.measured, p.spec.packet_size)) : json::value(nullptr);
  o["at_half_rate"] = p.at_half_rate ? json::value(TrialJson(*p.at_half_rate, p.spec.packet_size))
                                     : json::value(nullptr);
  o["baseline_at_half_rate"] =
      p.baseline_at_half_rate ? json::value(TrialJson(*p.baseline_at_half_rate, p.spec.packet_size))
                              : json::value(nullptr);
  // What mgw adds: its latency percentile minus the path without it at the same rate (a
  // difference of percentiles, the two runs' packets cannot be paired; negative when the
  // baseline's own tail was the longer).
  if (p.at_half_rate && p.baseline_at_half_rate) {
    o["added_latency_us"] = {{"p50", p.at_half_rate->p50_us - p.baseline_at_half_rate->p50_us},
                             {"p99", p.at_half_rate->p99_us - p.baseline_at_half_rate->p99_us}};
  } else {
    o["added_latency_us"] = nullptr;
  }
  json::object drops;
  for (const auto& [reason, count] : p.dataplane_drops) drops[reason] = count;
  o["dataplane_drops"] = drops;
  json::array trials;
  for (const TrialResult& t : p.trials) trials.push_back(TrialJson(t, p.spec.packet_size));
  o["trials"] = trials;
  return o;
}

std::string Num(const std::optional<double>& v) { return v ? std::to_string(*v) : ""; }

void WriteCsv(const RunResult& run, const std::string& path) {
  std::ofstream csv(path);
  csv << "backend,workers,fanout,packet_size,srtp,publishers,mode,ingress_pps,egress_pps,"
         "egress_gbps,loss,p50_us,p99_us,p99_9_us,baseline,baseline_pps,ratio,srtp_ratio,"
         "worker_cpu,ratio_min,ratio_max,baseline_p99_us,added_p99_us,error\n";
  for (const PointResult& p : run.points) {
    const TrialResult t = p.measured.value_or(TrialResult{});
    const TrialResult lat = p.at_half_rate.value_or(t);
    double busiest = 0;
    for (const auto& [name, share] : t.cpu) busiest = std::max(busiest, share);
    csv << p.spec.backend << ',' << p.spec.workers << ',' << p.spec.fanout << ','
        << p.spec.packet_size << ',' << p.spec.srtp << ',' << p.spec.publishers << ',' << p.mode
        << ',' << t.ingress_pps << ',' << t.egress_pps << ','
        << t.egress_pps * static_cast<double>(p.spec.packet_size) * 8 / 1e9 << ',' << t.loss << ','
        << lat.p50_us << ',' << lat.p99_us << ',' << lat.p999_us << ',' << p.baseline_name << ','
        << Num(p.baseline_pps) << ',' << Num(p.ratio) << ',' << Num(p.srtp_ratio) << ',' << busiest
        << ',' << Num(p.ratio_min) << ',' << Num(p.ratio_max) << ','
        << (p.baseline_at_half_rate ? std::to_string(p.baseline_at_half_rate->p99_us) : "") << ','
        << (p.at_half_rate && p.baseline_at_half_rate
                ? std::to_string(p.at_half_rate->p99_us - p.baseline_at_half_rate->p99_us)
                : "")
        << ",\"" << p.error << "\"\n";
  }
  for (const BaselineResult& b : run.baselines) {
    csv << "# baseline," << b.name << ',' << b.detail << ',' << Num(b.pps) << ",\"" << b.note
        << "\"\n";
  }
}

// gnuplot scripts over small data files: egress rate vs p99 latency per point, and egress rate
// per point (scaling over the grid's workers / fan-outs / publishers).
void WritePlots(const RunResult& run, const std::string& dir) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    std::cerr << "mgw-bench: gnuplot not installed; no PNG plots\n";
    return;
  }
  std::ofstream latency(dir + "/rate_latency.dat");
  std::ofstream scaling(dir + "/scaling.dat");
  size_t index = 0;
  size_t latency_blocks = 0;
  for (const PointResult& p : run.points) {
    const std::string label = p.spec.backend + "-w" + std::to_string(p.spec.workers) + "-f" +
                              std::to_string(p.spec.fanout) + "-" +
                              std::to_string(p.spec.packet_size) + "B-" + p.spec.srtp + "-p" +
                              std::to_string(p.spec.publishers);
    std::string block;
    for (const TrialResult& t : p.trials) {
      if (t.p99_us <= 0) continue;
      block += std::to_string(t.egress_pps) + ' ' + std::to_string(t.p99_us) + ' ' +
               std::to_string(t.p50_us) + '\n';
    }
    if (!block.empty()) {
      latency << "# " << label << '\n' << block << "\n\n";
      ++latency_blocks;
    }
    if (p.measured) {
      scaling << index++ << " \"" << label << "\" " << p.measured->egress_pps << ' '
              << p.baseline_pps.value_or(0) << '\n';
    }
  }
  latency.close();
  scaling.close();
  std::ofstream gp(dir + "/plots.gp");
  gp << "set terminal png size 1200,700\nset datafile separator ' '\n";
  if (latency_blocks > 0) {
    gp << "set output '" << dir << "/rate_latency.png'\n"
       << "set xlabel 'egress packets/s'\nset ylabel 'latency p99 (us)'\nset logscale y\n"
       << "set title 'mgw-bench: rate vs latency (one line per grid point)'\n"
       << "plot for [i=0:" << latency_blocks - 1 << "] '" << dir
       << "/rate_latency.dat' index i using 1:2 with linespoints title sprintf('point %d', i)\n"
       << "unset logscale y\n";
  }
  gp << "unset xlabel\n"
     << "set output '" << dir << "/scaling.png'\n"
     << "set style data histograms\nset style fill solid 0.6\nset xtics rotate by -30\n"
     << "set ylabel 'egress packets/s'\nset title 'mgw-bench: egress per grid point and its "
        "baseline'\n"
     << "plot '" << dir
     << "/scaling.dat' using 3:xtic(2) title 'mgw', '' using 4 title "
        "'baseline'\n";
  gp.close();
  if (std::system(("gnuplot " + dir + "/plots.gp 2>" + dir + "/gnuplot.log").c_str()) != 0) {
    std::cerr << "mgw-bench: gnuplot failed, see " << dir << "/gnuplot.log\n";
  }
}

}  // namespace

void WriteReports(const RunResult& run, const std::string& dir) {
  std::filesystem::create_directories(dir);
  json::array points;
  for (const PointResult& p : run.points) points.push_back(PointJson(p));
  json::array baselines;
  for (const BaselineResult& b : run.baselines) {
    json::object o{
        {"name", b.name}, {"detail", b.detail}, {"pps", Optional(b.pps)}, {"note", b.note}};
    if (b.trial) o["trial"] = TrialJson(*b.trial, 0);
    baselines.push_back(o);
  }
  json::object root{{"command", run.command},
                    {"machine", run.machine},
                    {"seconds", run.seconds},
                    {"points", points},
                    {"baselines", baselines}};
  std::ofstream(dir + "/results.json") << json::serialize(root) << '\n';
  WriteCsv(run, dir + "/results.csv");
  WritePlots(run, dir);
}

}  // namespace mgw::bench
