// Runs `mgw-http-bench --quick` (real nginx, PostgreSQL, mgw-controlplane and wrk) and checks that
// the reports are complete: every route measured on every backend without a non-2xx answer,
// positive rates beside the nginx baseline, the created meetings still there after kill -9, the
// joins inserting participations, the files written. Speed is never asserted (the machines are
// shared).
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace {

namespace json = boost::json;

std::string BinaryDir() {
  const char* dir = std::getenv("MGW_BINARY_DIR");
  return dir ? dir : ".";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

double Number(const json::value& v) {
  return v.is_double() ? v.as_double() : v.to_number<double>();
}

TEST(MgwHttpBenchQuick, RunsEveryRouteOnEveryBackend) {
  const std::filesystem::path out =
      std::filesystem::temp_directory_path() / ("mgw-http-bench-quick-" + std::to_string(getpid()));
  const std::string log = out.string() + ".log";
  const std::string command =
      BinaryDir() + "/bin/mgw-http-bench --quick --out " + out.string() + " > " + log + " 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_EQ(status, 0) << ReadFile(log);

  json::object root = json::parse(ReadFile((out / "results.json").string())).as_object();
  std::set<std::string> backends;
  for (const json::value& v : root.at("points").as_array()) {
    const json::object& p = v.as_object();
    SCOPED_TRACE(json::serialize(p));
    EXPECT_EQ(p.at("error").as_string(), "");
    EXPECT_EQ(Number(p.at("non_2xx")), 0);
    EXPECT_GT(Number(p.at("requests_per_s")), 0);
    EXPECT_GT(Number(p.at("p50_us")), 0);
    EXPECT_GE(Number(p.at("p99_us")), Number(p.at("p50_us")));
    EXPECT_GT(Number(p.at("nginx_requests_per_s")), 0);
    EXPECT_GT(Number(p.at("ratio")), 0);
    const std::string route(p.at("route").as_string());
    if (route == "POST /meeting") {
      EXPECT_TRUE(p.at("durable_after_kill_9").as_bool());
      EXPECT_GT(Number(p.at("created_2xx")), 0);
    }
    if (route == "POST /meeting/join") {
      EXPECT_GT(Number(p.at("participations_inserted")), 0);
    }
    backends.insert(std::string(p.at("backend").as_string()) + " " + route);
  }
  std::set<std::string> expected;
  std::set<std::string> skipped;
  for (const json::value& v : root.at("skipped").as_array()) {
    skipped.insert(std::string(v.as_string()));
  }
  for (const char* backend : {"sqlite", "postgresql"}) {
    if (skipped.count(backend)) continue;
    for (const char* route :
         {"GET /healthz", "GET /meeting/{id}", "POST /meeting", "POST /meeting/join"}) {
      expected.insert(std::string(backend) + " " + route);
    }
  }
  EXPECT_EQ(backends, expected);
  EXPECT_FALSE(root.at("baselines").as_array().empty());
  EXPECT_EQ(root.at("durability").as_array().size(), 2 - skipped.size());
  EXPECT_NE(ReadFile((out / "results.csv").string()).find("backend,route,requests_per_s"),
            std::string::npos);
  std::filesystem::remove_all(out);
  std::filesystem::remove(log);
}

}  // namespace
