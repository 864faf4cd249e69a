// Runs `mgw-recorder-bench --quick`: real ffmpeg and mgw-recorder-pipe processes receive the same
// generated RTP (libopus + libvpx VP8) over loopback UDP; checks that the reports are complete and
// that, at this light load, both receivers recorded the frames sent (counted with ffprobe in the
// files they wrote). Speed is never asserted (the machines are shared).
#include <gtest/gtest.h>

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

json::object ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

double Number(const json::value& v) {
  return v.is_double() ? v.as_double() : v.to_number<double>();
}

void CheckTrial(const json::object& t) {
  SCOPED_TRACE(json::serialize(t));
  EXPECT_EQ(t.at("error").as_string(), "");
  EXPECT_GT(Number(t.at("seconds")), 1);
  EXPECT_GT(Number(t.at("frames_sent")), 0);
  EXPECT_GE(Number(t.at("cpu_seconds")), 0);
  EXPECT_FALSE(t.at("command").as_string().empty());
  // A few participants on loopback: both files hold (nearly) every frame sent. Not exact, so a
  // stall of the shared machine cannot fail it; a wrong stream mapping or count would.
  EXPECT_GE(Number(t.at("frames_written")), 0.99 * Number(t.at("frames_sent")));
}

TEST(MgwRecorderBenchQuick, BothReceiversRecordEverythingAndTheReportsAreComplete) {
  const std::filesystem::path out = std::filesystem::temp_directory_path() /
                                    ("mgw-recorder-bench-quick-" + std::to_string(getpid()));
  const std::string command = BinaryDir() + "/bin/mgw-recorder-bench --quick --out " +
                              out.string() + " > " + out.string() + ".log 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream log(out.string() + ".log");
  std::stringstream log_text;
  log_text << log.rdbuf();
  ASSERT_EQ(status, 0) << log_text.str();

  json::object root = ReadJson((out / "results.json").string());
  EXPECT_TRUE(root.at("quick").as_bool());
  EXPECT_GT(Number(root.at("media").as_object().at("participant_kbps")), 0);

  const json::object& cpu = root.at("cpu_per_stream_hour").as_object();
  std::set<std::string> receivers;
  for (const json::value& v : cpu.at("trials").as_array()) {
    const json::object& t = v.as_object();
    receivers.insert(std::string(t.at("receiver").as_string()));
    CheckTrial(t);
    EXPECT_GT(Number(t.at("cpu_seconds_per_stream_hour")), 0);
  }
  EXPECT_EQ(receivers, (std::set<std::string>{"ffmpeg", "mgw"}));
  EXPECT_GT(Number(cpu.at("ratio_mgw_to_ffmpeg")), 0);
  EXPECT_EQ(cpu.at("ratio_per_round").as_array().size(), 1u);

  const json::object& capacity = root.at("one_core_capacity").as_object();
  const json::array& searched = capacity.at("receivers").as_array();
  ASSERT_EQ(searched.size(), 2u);
  for (const json::value& v : searched) {
    const json::object& c = v.as_object();
    EXPECT_FALSE(c.at("trials").as_array().empty());
    for (const json::value& t : c.at("trials").as_array()) CheckTrial(t.as_object());
    EXPECT_GE(Number(c.at("participants")), 1);
  }
  EXPECT_GT(Number(capacity.at("ratio_mgw_to_ffmpeg")), 0);

  std::ifstream csv((out / "results.csv").string());
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("figure,round,receiver,participants,", 0), 0u) << header;
  EXPECT_TRUE(std::filesystem::exists(out / "logs"));
  std::filesystem::remove_all(out);
  std::filesystem::remove(out.string() + ".log");
}

}  // namespace
