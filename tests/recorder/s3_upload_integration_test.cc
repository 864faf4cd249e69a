// Multipart upload, resume from the journal and presigned GET against a real s3rver (npm)
// started by the test on 127.0.0.1, port 0. s3rver does not check signatures (sigv4_test.cc
// checks the signer against AWS's vectors); it checks everything else S3 does for these calls.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include "child_process.h"
#include "http_fetch.h"
#include "mgw/rec/manifest.h"
#include "mgw/rec/matroska_sink.h"
#include "mgw/rec/multipart_uploader.h"
#include "mgw/rec/recording.h"
#include "mgw/rec/s3_client.h"
#include "rtp_fixture.h"
#include "temp_dir.h"

namespace mgw::rec {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kBucket[] = "recordings";

class S3rver {
 public:
  explicit S3rver(const std::string& data_dir)
      : process_(
            {{MGW_NODE_EXECUTABLE, mgw::testing::SourcePath("node_modules/s3rver/bin/s3rver.js"),
              "-d", data_dir, "-a", "127.0.0.1", "-p", "0", "--configure-bucket", kBucket}}) {
    auto match = process_.WaitForLine(std::regex(R"(listening on 127\.0\.0\.1:(\d+))"),
                                      std::chrono::seconds(30));
    if (match) port_ = static_cast<uint16_t>(std::stoi((*match)[1].str()));
  }
  uint16_t port() const { return port_; }
  std::string output() const { return process_.output(); }

 private:
  mgw::testing::ChildProcess process_;
  uint16_t port_ = 0;
};

S3Config Config(uint16_t port) {
  S3Config c;
  c.endpoint = "http://127.0.0.1:" + std::to_string(port);
  c.bucket = kBucket;
  c.credentials = {"S3RVER", "S3RVER", ""};
  c.timeout = seconds(20);
  return c;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

void Append(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

MultipartUploader::Options UploaderOptions(const mgw::testing::TempDir& dir,
                                           const std::string& key) {
  MultipartUploader::Options o;
  o.file_path = dir.File("rec.mkv");
  o.journal_path = dir.File("rec.mkv.upload.json");
  o.key = key;
  o.part_size = uint64_t{64} * 1024;
  o.max_attempts = 3;
  o.initial_backoff = milliseconds(1);
  return o;
}

class S3UploadIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A real S3-compatible server is part of the suite: missing, it is a failure, not a skip
    // (the build runs `npm ci`, which installs it).
    ASSERT_TRUE(
        std::filesystem::exists(mgw::testing::SourcePath("node_modules/s3rver/bin/s3rver.js")))
        << "s3rver is not installed (npm ci in the source tree)";
    server_ = std::make_unique<S3rver>(data_.path());
    ASSERT_NE(server_->port(), 0) << server_->output();
  }
  mgw::testing::TempDir data_{"mgw-s3rver"};
  mgw::testing::TempDir work_{"mgw-upload"};
  std::unique_ptr<S3rver> server_;
};

TEST_F(S3UploadIntegrationTest, StreamsAGrowingFileAndCompletes) {
  S3Client client(Config(server_->port()));
  MultipartUploader uploader(client, UploaderOptions(work_, "m1/m1_1.mkv"));
  std::string all;
  // The recorder appends; the uploader sends every full part as soon as it exists.
  for (int i = 0; i < 5; ++i) {
    const std::string chunk = RandomBytes(50'000, static_cast<uint32_t>(i));
    Append(work_.File("rec.mkv"), chunk);
    all += chunk;
    ASSERT_TRUE(uploader.Pump()) << uploader.error();
  }
  EXPECT_EQ(uploader.journal().parts.size(), all.size() / (size_t{64} * 1024));
  ASSERT_TRUE(uploader.Finish()) << uploader.error();
  EXPECT_EQ(uploader.state(), UploadJournal::State::kComplete);
  EXPECT_EQ(uploader.journal().parts.size(), 4u);  // 250000 bytes in 64 KiB parts

  const S3Response got = client.GetObject("m1/m1_1.mkv");
  ASSERT_TRUE(got.ok()) << got.error;
  EXPECT_EQ(got.body.size(), all.size());
  EXPECT_TRUE(got.body == all);
}

TEST_F(S3UploadIntegrationTest, ResumesFromTheJournalAfterACrash) {
  S3Client client(Config(server_->port()));
  const std::string first = RandomBytes(200'000, 7);
  Append(work_.File("rec.mkv"), first);
  std::string upload_id;
  {
    MultipartUploader uploader(client, UploaderOptions(work_, "m2/m2_1.mkv"));
    ASSERT_TRUE(uploader.Pump()) << uploader.error();
    upload_id = uploader.journal().upload_id;
    ASSERT_EQ(uploader.journal().parts.size(), 3u);
    // The process dies here: no Finish, no abort. Only the journal remains.
  }
  const std::string second = RandomBytes(100'000, 8);
  Append(work_.File("rec.mkv"), second);
  MultipartUploader resumed(client, UploaderOptions(work_, "m2/m2_1.mkv"));
  EXPECT_TRUE(resumed.resumed());
  EXPECT_EQ(resumed.journal().upload_id, upload_id);
  ASSERT_TRUE(resumed.Finish()) << resumed.error();
  const S3Response got = client.GetObject("m2/m2_1.mkv");
  ASSERT_TRUE(got.ok()) << got.error;
  EXPECT_TRUE(got.body == first + second);
  // A finished journal makes a third uploader a no-op.
  MultipartUploader again(client, UploaderOptions(work_, "m2/m2_1.mkv"));
  EXPECT_TRUE(again.Finish());
}

TEST_F(S3UploadIntegrationTest, PresignedUrlReturnsTheBytes) {
  S3Client client(Config(server_->port()));
  const std::string body = "manifest bytes";
  ASSERT_TRUE(client
                  .PutObject("m3/m3_1.json",
                             {reinterpret_cast<const uint8_t*>(body.data()), body.size()},
                             "application/json")
                  .ok());
  const std::string url = client.PresignGet("m3/m3_1.json", seconds(3600));
  const std::string prefix = "http://127.0.0.1:" + std::to_string(server_->port());
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
  EXPECT_NE(url.find("X-Amz-Expires=3600"), std::string::npos);
  const auto result =
      mgw::testing::HttpFetch("127.0.0.1", server_->port(), "GET", url.substr(prefix.size()));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, body);

  // Time-limited: a URL signed two hours ago for one hour is refused.
  S3Client past(Config(server_->port()),
                [] { return std::chrono::system_clock::now() - std::chrono::hours(2); });
  const std::string expired = past.PresignGet("m3/m3_1.json", seconds(3600));
  const auto refused =
      mgw::testing::HttpFetch("127.0.0.1", server_->port(), "GET", expired.substr(prefix.size()));
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("expired"), std::string::npos) << refused.body;
}

TEST_F(S3UploadIntegrationTest, StreamsARecordingWhileItIsWritten) {
  // The muxer appends, the uploader sends parts as they fill: the object must equal the file.
  S3Client client(Config(server_->port()));
  const std::string path = work_.File("rec.mkv");
  MatroskaSink sink({.path = path});
  Recording recording(sink, TimePoint{}, {}, nullptr);
  const int audio = recording.AddTrack({"audio", Codec::kOpus, ""});
  auto options = UploaderOptions(work_, "m5/m5_1.mkv");
  options.part_size = uint64_t{16} * 1024;
  MultipartUploader uploader(client, options);
  std::mt19937 rng(5);
  for (uint16_t seq = 0; seq < 1500; ++seq) {  // 30 s of 20 ms frames
    std::vector<uint8_t> frame(120);
    for (auto& b : frame) b = static_cast<uint8_t>(rng());
    frame[0] = 0xFC;  // TOC: CELT fullband 20 ms, one frame
    const auto at = TimePoint{} + milliseconds(20 * seq);
    recording.OnRtp(
        audio,
        testing::Rtp({.ssrc = 9, .seq = seq, .timestamp = 960u * seq, .payload_type = 111}, frame),
        at);
    recording.Poll(at);
    if (seq % 100 == 99) {
      ASSERT_TRUE(uploader.Pump()) << uploader.error();
    }
  }
  EXPECT_GE(uploader.journal().parts.size(), 5u);  // parts left while the file was still growing
  ASSERT_TRUE(recording.Finish(TimePoint{} + seconds(31)));
  ASSERT_TRUE(uploader.Finish()) << uploader.error();
  const S3Response got = client.GetObject("m5/m5_1.mkv");
  ASSERT_TRUE(got.ok()) << got.error;
  std::ifstream in(path, std::ios::binary);
  const std::string local{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(got.body.size(), local.size());
  EXPECT_TRUE(got.body == local);
  EXPECT_EQ(Sha256Hex(got.body), *Sha256File(path));
}

TEST_F(S3UploadIntegrationTest, UnreachableStorageFailsAndKeepsTheFile) {
  S3Config config = Config(server_->port());
  server_.reset();  // storage goes away
  S3Client client(config);
  Append(work_.File("rec.mkv"), RandomBytes(1000, 9));
  int sleeps = 0;
  auto options = UploaderOptions(work_, "m4/m4_1.mkv");
  options.sleep = [&](milliseconds) { ++sleeps; };
  MultipartUploader uploader(client, options);
  EXPECT_FALSE(uploader.Finish());
  EXPECT_EQ(uploader.state(), UploadJournal::State::kFailed);
  EXPECT_EQ(sleeps, 2);  // three attempts, backing off between them
  EXPECT_NE(uploader.error().find("kept at " + work_.File("rec.mkv")), std::string::npos)
      << uploader.error();
  std::ifstream kept(work_.File("rec.mkv"), std::ios::binary | std::ios::ate);
  EXPECT_EQ(kept.tellg(), 1000);
  const auto journal = UploadJournal::Load(options.journal_path);
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->state, UploadJournal::State::kFailed);
}

}  // namespace
}  // namespace mgw::rec
