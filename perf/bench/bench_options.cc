#include "bench_options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

namespace mgw::bench {

BenchOptions ParseBenchOptions(int argc, char** argv) {
  BenchOptions o;
  CLI::App app{
      "mgw-bench: drives a real mgw-dataplane over a grid of backends, workers, fan-outs, packet "
      "sizes, SRTP suites and publisher counts, and reports every figure against baselines "
      "measured in the same run (kernel relay, libsrtp, dpdk-testpmd)."};
  app.add_option("--backend", o.backends, "dpdk, uring, posix (several: a grid axis)")
      ->delimiter(',');
  app.add_option("--workers", o.workers, "worker cores")->delimiter(',');
  app.add_option("--fanout", o.fanouts, "subscribers per publisher (1, 4, 16, 49)")->delimiter(',');
  app.add_option("--size", o.sizes, "RTP packet size in bytes (200, 1200)")->delimiter(',');
  app.add_option("--srtp", o.srtp, "off, aes_cm, gcm (egress protected per subscriber)")
      ->delimiter(',');
  app.add_option("--publishers", o.publishers, "concurrent publishers (1 to 10000)")
      ->delimiter(',');
  app.add_option("--rate", o.rate_pps, "fixed offered ingress packets/s (default: --search)");
  bool search = false;
  app.add_flag("--search", search, "search the highest rate with loss < 0.1% (the default)");
  app.add_option("--search-steps", o.search_steps, "bisection steps after the blast trial");
  app.add_option("--duration", o.trial_seconds, "seconds per trial");
  app.add_option("--latency-duration", o.latency_seconds,
                 "socket backends: seconds of the latency trial at half the maximum rate");
  app.add_option("--repeat", o.repeats,
                 "socket backends: measurements of the point and its relay baseline, in turn; the "
                 "ratio is their median")
      ->check(CLI::Range(1, 15));
  app.add_flag("--no-pin{false}", o.pin,
               "socket backends: leave threads unpinned (default: generator and sink on the "
               "first CPU, the dataplane worker or the relay on the last)");
  app.add_option("--idle-poll-us", o.idle_poll_us,
                 "socket backends: the dataplane's dataplane.idle_poll_us (how long a worker "
                 "polls after its last packet before it sleeps; default: the dataplane's, 200)");
  app.add_option("--srtp-protect", o.srtp_protect,
                 "the dataplane's dataplane.srtp_protect: openssl (mgw's sender, the default) or "
                 "libsrtp")
      ->check(CLI::IsMember({"openssl", "libsrtp"}));
  app.add_flag("--no-dpdk-latency{false}", o.dpdk_latency,
               "skip the dpdk latency trials (net_memif link to mgw-dpdk-probe)");
  app.add_flag("--quick", o.quick, "CI smoke run: one small point per socket backend, < 30 s");
  app.add_flag("!--no-baselines", o.baselines, "skip the baselines");
  app.add_option("--out", o.out_dir, "directory for results.json, results.csv and PNG plots");
  app.add_option("--dataplane", o.dataplane, "mgw-dataplane binary (default: beside mgw-bench)");
  app.add_option("--dpdk-port", o.dpdk_port,
                 "lab NIC: ethdev name or PCI address instead of the generated net_pcap device");
  app.add_option("--dpdk-eal", o.dpdk_eal, "lab NIC: EAL arguments (comma separated)")
      ->delimiter(',');
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  if (search) o.rate_pps = 0;
  for (int i = 0; i < argc; ++i) o.command += (i ? " " : "") + std::string(argv[i]);
  if (o.quick) {
    if (app.count("--backend") == 0) o.backends = {"uring", "posix"};
    if (app.count("--fanout") == 0) o.fanouts = {4};
    if (app.count("--size") == 0) o.sizes = {200};
    if (app.count("--publishers") == 0) o.publishers = {2};
    if (app.count("--duration") == 0) o.trial_seconds = 0.2;
    if (app.count("--latency-duration") == 0) o.latency_seconds = 0.2;
    if (app.count("--search-steps") == 0) o.search_steps = 2;
    if (app.count("--repeat") == 0) o.repeats = 1;
  }
  return o;
}

}  // namespace mgw::bench
