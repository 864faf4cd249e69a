#include "mgw/common/metrics.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace mgw::metrics {
namespace {

// Runs `promtool check metrics` (Debian's prometheus package) on `text`; returns its verdict.
std::string PromtoolCheck(const std::string& text, int* status) {
  char name[] = "/tmp/mgw-metrics-XXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(name) << text;
  std::string command = std::string("promtool check metrics < ") + name + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  *status = WEXITSTATUS(pclose(pipe));
  std::filesystem::remove(name);
  return output;
}

Registry& SampleRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry;
    auto& requests = r->AddCounter("mgw_http_requests_total", "HTTP requests by route and status.");
    requests.WithLabels({{"route", "/meeting/{id}"}, {"status", "200"}}).Inc(3);
    requests.WithLabels({{"route", "/odd\"route\\\n"}, {"status", "404"}}).Inc();
    r->AddGauge("mgw_meetings", "Meetings in progress.").Get().Set(7);
    auto& latency = r->AddHistogram("mgw_http_request_duration_seconds", "Request latency.",
                                    Histogram::LatencyBuckets());
    latency.WithLabels({{"route", "/x"}}).Observe(0.003);
    latency.WithLabels({{"route", "/x"}}).Observe(42);
    r->AddCollector([](TextWriter& out) {
      out.Family("mgw_dataplane_rx_packets_total", "Packets received, summed over workers.",
                 MetricType::kCounter);
      out.Sample("mgw_dataplane_rx_packets_total", {{"worker", "0"}}, 10);
      out.Sample("mgw_dataplane_rx_packets_total", {{"worker", "1"}}, 12);
    });
    return r;
  }();
  return *registry;
}

TEST(MetricsTest, RendersTextFormat) {
  std::string text = SampleRegistry().Render();
  EXPECT_NE(text.find("# HELP mgw_http_requests_total HTTP requests by route and status.\n"
                      "# TYPE mgw_http_requests_total counter\n"),
            std::string::npos);
  EXPECT_NE(text.find("mgw_http_requests_total{route=\"/meeting/{id}\",status=\"200\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find(R"(route="/odd\"route\\\n")"), std::string::npos) << text;
  EXPECT_NE(text.find("mgw_meetings 7\n"), std::string::npos);
  EXPECT_NE(text.find("mgw_http_request_duration_seconds_bucket{route=\"/x\",le=\"0.0025\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("mgw_http_request_duration_seconds_bucket{route=\"/x\",le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("mgw_http_request_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("mgw_http_request_duration_seconds_count{route=\"/x\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("mgw_dataplane_rx_packets_total{worker=\"1\"} 12\n"), std::string::npos);
}

TEST(MetricsTest, PromtoolAcceptsTheOutput) {
  int status = -1;
  std::string verdict = PromtoolCheck(SampleRegistry().Render(), &status);
  EXPECT_EQ(status, 0) << verdict;
}

TEST(MetricsTest, PromtoolWouldCatchABrokenExposition) {
  // Guards the check above: promtool must really be judging what we give it.
  int status = -1;
  PromtoolCheck("# TYPE x counter\nx{a=\"unterminated} 1\n", &status);
  EXPECT_NE(status, 0);
}

TEST(MetricsTest, RejectsInvalidNamesAndDuplicates) {
  Registry registry;
  EXPECT_THROW(registry.AddCounter("1bad", "x"), std::logic_error);
  registry.AddCounter("ok_total", "x");
  EXPECT_THROW(registry.AddGauge("ok_total", "x"), std::logic_error);
  TextWriter out;
  EXPECT_THROW(out.Sample("x", {{"__reserved", "1"}}, 1), std::logic_error);
}

TEST(MetricsTest, ValuesFormat) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(MetricsTest, CountersAreSafeAcrossThreads) {
  Registry registry;
  Counter& counter = registry.AddCounter("c_total", "x").Get();
  std::thread a([&] {
    for (int i = 0; i < 100000; ++i) counter.Inc();
  });
  std::thread b([&] {
    for (int i = 0; i < 100000; ++i) counter.Inc();
  });
  a.join();
  b.join();
  EXPECT_EQ(counter.Value(), 200000);
}

}  // namespace
}  // namespace mgw::metrics
