#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Prometheus text exposition format 0.0.4, written by mgw itself (prometheus-cpp is not packaged
// in Debian 12). Two ways to publish a value:
//  - owned metrics (Counter, Gauge, Histogram) created through a Registry, updated atomically from
//    any thread, for control-plane paths;
//  - collectors: a callback that writes samples at scrape time, for values that live elsewhere,
//    such as the dataplane's per-worker counters, which are summed by the reader and never
//    touched by a lock on the packet path.
namespace mgw::metrics {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram, kUntyped };

// Writes one scrape. Families must be started before their samples; each family once.
class TextWriter {
 public:
  void Family(std::string_view name, std::string_view help, MetricType type);
  void Sample(std::string_view name, const Labels& labels, double value);
  void Sample(std::string_view name, double value) { Sample(name, {}, value); }

  const std::string& text() const { return text_; }
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
};

bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);
std::string FormatValue(double value);
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);

class Counter {
 public:
  void Inc(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Inc(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  void Dec(double by = 1) { value_.fetch_sub(by, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // sorted, +Inf implied
  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Take() const;

  static std::vector<double> LatencyBuckets();  // seconds, 100 µs to 10 s

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// A named metric with one child per label set. Children live as long as the registry.
template <typename Metric>
class Family {
 public:
  template <typename... Args>
  Family(std::string name, std::string help, Args... args)
      : name_(std::move(name)),
        help_(std::move(help)),
        factory_([=] { return std::make_unique<Metric>(args...); }) {}

  Metric& WithLabels(const Labels& labels) {
    std::lock_guard lock(mutex_);
    auto& slot = children_[labels];
    if (!slot) slot = factory_();
    return *slot;
  }
  Metric& Get() { return WithLabels({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    std::lock_guard lock(mutex_);
    for (const auto& [labels, metric] : children_) fn(labels, *metric);
  }

 private:
  std::string name_;
  std::string help_;
  std::function<std::unique_ptr<Metric>()> factory_;
  mutable std::mutex mutex_;
  std::map<Labels, std::unique_ptr<Metric>> children_;
};

class Registry {
 public:
  using Collector = std::function<void(TextWriter&)>;

  // Names must be valid and unique across the registry (checked; a clash is a program error).
  Family<Counter>& AddCounter(std::string name, std::string help);
  Family<Gauge>& AddGauge(std::string name, std::string help);
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<double> upper_bounds);
  void AddCollector(Collector collector);

  // The whole exposition: owned families in creation order, then the collectors'.
  std::string Render() const;

 private:
  void Claim(const std::string& name);

  mutable std::mutex mutex_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
  std::vector<std::pair<int, size_t>> order_;  // (kind, index) in creation order
  std::vector<Collector> collectors_;
};

}  // namespace mgw::metrics
