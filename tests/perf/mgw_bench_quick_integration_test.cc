// Runs `mgw-bench --quick` against a real mgw-dataplane and checks that the reports are complete:
// every point measured without error, positive rates, the baselines present, the files written.
// Speed is never asserted (the machines are shared).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace json = boost::json;

std::string BinaryDir() {
  const char* dir = std::getenv("MGW_BINARY_DIR");
  return dir ? dir : ".";
}

json::object ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

double Number(const json::value& v) {
  return v.is_double() ? v.as_double() : v.to_number<double>();
}

TEST(MgwBenchQuick, RunsAndReportsEveryField) {
  const std::filesystem::path out =
      std::filesystem::temp_directory_path() / ("mgw-bench-quick-" + std::to_string(getpid()));
  const std::string command = BinaryDir() + "/bin/mgw-bench --quick --backend posix --out " +
                              out.string() + " > " + out.string() + ".log 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream log(out.string() + ".log");
  std::stringstream log_text;
  log_text << log.rdbuf();
  ASSERT_EQ(status, 0) << log_text.str();

  json::object root = ReadJson((out / "results.json").string());
  ASSERT_TRUE(root.contains("points"));
  json::array points = root["points"].as_array();
  ASSERT_FALSE(points.empty());
  for (const json::value& v : points) {
    const json::object& p = v.as_object();
    EXPECT_EQ(p.at("error").as_string(), "");
    for (const char* key : {"backend", "workers", "fanout", "packet_size", "srtp", "publishers",
                            "baseline_pps", "ratio", "measured", "at_half_rate", "trials"}) {
      EXPECT_TRUE(p.contains(key)) << key;
    }
    const json::object& m = p.at("measured").as_object();
    EXPECT_GT(Number(m.at("ingress_pps")), 0);
    EXPECT_GT(Number(m.at("egress_pps")), 0);
    EXPECT_GT(Number(m.at("egress_gbps")), 0);
    EXPECT_GE(Number(m.at("loss")), 0);
    const json::object& latency = p.at("at_half_rate").as_object().at("latency_us").as_object();
    EXPECT_GT(Number(latency.at("p50")), 0);
    EXPECT_GE(Number(latency.at("p99")), Number(latency.at("p50")));
    EXPECT_GE(Number(latency.at("p99_9")), Number(latency.at("p99")));
    EXPECT_FALSE(m.at("cpu_per_thread").as_object().empty());
    EXPECT_GT(Number(p.at("baseline_pps")), 0);
    EXPECT_GT(Number(p.at("ratio")), 0);
    EXPECT_LE(Number(p.at("ratio_min")), Number(p.at("ratio")));
    EXPECT_GE(Number(p.at("ratio_max")), Number(p.at("ratio")));
    EXPECT_EQ(p.at("ratios").as_array().size(), 1u);  // --quick measures each side once
    // The relay's latency at the same paced rate: the path without mgw, for comparison.
    const json::object& relay =
        p.at("baseline_at_half_rate").as_object().at("latency_us").as_object();
    EXPECT_GT(Number(relay.at("p50")), 0);
    EXPECT_GE(Number(relay.at("p99")), Number(relay.at("p50")));
  }
  EXPECT_FALSE(root["baselines"].as_array().empty());
  EXPECT_TRUE(std::filesystem::exists(out / "results.csv"));
  std::filesystem::remove_all(out);
  std::filesystem::remove(out.string() + ".log");
}

}  // namespace
