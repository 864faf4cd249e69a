#include "mgw/common/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace mgw::metrics {
namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kUntyped:
      return "untyped";
  }
  return "untyped";
}

bool IsNameChar(char c, bool first, bool allow_colon) {
  bool alpha = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (allow_colon && c == ':');
  return first ? alpha : alpha || std::isdigit(static_cast<unsigned char>(c));
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, true)) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, false)) return false;
  }
  return true;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);
}

namespace {

// Backslash and newline are escaped in HELP text and label values alike; double quotes only in
// label values (text format 0.0.4).
std::string Escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) { return Escape(value, true); }

std::string EscapeHelp(std::string_view help) { return Escape(help, false); }

void TextWriter::Family(std::string_view name, std::string_view help, MetricType type) {
  if (!IsValidMetricName(name)) {
    throw std::logic_error(fmt::format("invalid metric name {}", name));
  }
  text_ +=
      fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(help), name, TypeName(type));
}

void TextWriter::Sample(std::string_view name, const Labels& labels, double value) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (!IsValidLabelName(labels[i].first)) {
        throw std::logic_error(fmt::format("invalid label name {}", labels[i].first));
      }
      text_ += fmt::format("{}{}=\"{}\"", i ? "," : "", labels[i].first,
                           EscapeLabelValue(labels[i].second));
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += FormatValue(value);
  text_ += '\n';
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end())) {
    throw std::logic_error("histogram bounds must be sorted");
  }
}

void Histogram::Observe(double value) {
  size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Take() const {
  Snapshot snap;
  snap.upper_bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snap.cumulative_counts.push_back(running);
  }
  snap.sum = sum_.load(std::memory_order_relaxed);
  // The +Inf bucket and _count must agree even while observations race with the scrape.
  snap.count = running;
  return snap;
}

std::vector<double> Histogram::LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

void Registry::Claim(const std::string& name) {
  if (!IsValidMetricName(name)) throw std::logic_error("invalid metric name " + name);
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
    throw std::logic_error("metric registered twice: " + name);
  }
  names_.push_back(name);
}

Family<Counter>& Registry::AddCounter(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  Claim(name);
  counters_.push_back(std::make_unique<Family<Counter>>(std::move(name), std::move(help)));
  order_.emplace_back(0, counters_.size() - 1);
  return *counters_.back();
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help) {
  std::lock_guard lock(mutex_);
  Claim(name);
  gauges_.push_back(std::make_unique<Family<Gauge>>(std::move(name), std::move(help)));
  order_.emplace_back(1, gauges_.size() - 1);
  return *gauges_.back();
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<double> upper_bounds) {
  std::lock_guard lock(mutex_);
  Claim(name);
  histograms_.push_back(std::make_unique<Family<Histogram>>(std::move(name), std::move(help),
                                                            std::move(upper_bounds)));
  order_.emplace_back(2, histograms_.size() - 1);
  return *histograms_.back();
}

void Registry::AddCollector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() const {
  std::lock_guard lock(mutex_);
  TextWriter out;
  for (auto [kind, index] : order_) {
    if (kind == 0) {
      const auto& family = *counters_[index];
      out.Family(family.name(), family.help(), MetricType::kCounter);
      family.ForEach([&](const Labels& labels, const Counter& c) {
        out.Sample(family.name(), labels, c.Value());
      });
    } else if (kind == 1) {
      const auto& family = *gauges_[index];
      out.Family(family.name(), family.help(), MetricType::kGauge);
      family.ForEach([&](const Labels& labels, const Gauge& g) {
        out.Sample(family.name(), labels, g.Value());
      });
    } else {
      const auto& family = *histograms_[index];
      out.Family(family.name(), family.help(), MetricType::kHistogram);
      family.ForEach([&](const Labels& labels, const Histogram& h) {
        Histogram::Snapshot snap = h.Take();
        for (size_t i = 0; i <= snap.upper_bounds.size(); ++i) {
          Labels with_le = labels;
          with_le.emplace_back("le", i < snap.upper_bounds.size()
                                         ? FormatValue(snap.upper_bounds[i])
                                         : std::string("+Inf"));
          out.Sample(family.name() + "_bucket", with_le, snap.cumulative_counts[i]);
        }
        out.Sample(family.name() + "_sum", labels, snap.sum);
        out.Sample(family.name() + "_count", labels, snap.count);
      });
    }
  }
  for (const Collector& collector : collectors_) collector(out);
  return out.Take();
}

}  // namespace mgw::metrics
