#include "mgw/common/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "mgw/common/secret.h"

namespace mgw::log {
namespace {

TEST(RedactSecretsTest, MasksCredentialValues) {
  EXPECT_EQ(RedactSecrets("login password=hunter2 ok"), "login password=<redacted> ok");
  EXPECT_EQ(RedactSecrets(R"({"email":"a@b","password":"hunter2"})"),
            R"({"email":"a@b","password":"<redacted>"})");
  EXPECT_EQ(RedactSecrets("Authorization: Bearer abc.def"), "Authorization: Bearer <redacted>");
  EXPECT_EQ(RedactSecrets("db postgresql://mgw:pw@db/mgw up"),
            "db postgresql://mgw:<redacted>@db/mgw up");
  EXPECT_EQ(RedactSecrets("secret_access_key: AKIA123, region: x"),
            "secret_access_key: <redacted>, region: x");
  EXPECT_EQ(RedactSecrets("api_key=k1&x=2"), "api_key=<redacted>&x=2");
}

TEST(RedactSecretsTest, LeavesOrdinaryTextAlone) {
  for (const char* text : {"listening on 127.0.0.1:8080", "keyframe requested for ssrc 1234",
                           "monkey: 3", "token count 5", "http://example/path"}) {
    EXPECT_EQ(RedactSecrets(text), text);
  }
}

TEST(RedactSecretsTest, IsIdempotent) {
  std::string once = RedactSecrets("password=x Bearer y");
  EXPECT_EQ(RedactSecrets(once), once);
}

class LogTest : public ::testing::Test {
 protected:
  void Init(Format format) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    Options options;
    options.component = "test";
    options.level = "debug";
    options.format = format;
    options.sink = sink;
    log::Init(options);
  }
  std::ostringstream out_;
};

TEST_F(LogTest, SecretsNeverReachTheSink) {
  Init(Format::kText);
  Secret secret("s3cr3t-value");
  spdlog::info("admin created with {} via {}", secret, "password=s3cr3t-value");
  spdlog::default_logger()->flush();
  EXPECT_EQ(out_.str().find("s3cr3t-value"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("<redacted>"), std::string::npos);
  EXPECT_NE(out_.str().find("info [test]"), std::string::npos);
}

TEST_F(LogTest, JsonLinesAreEscaped) {
  Init(Format::kJson);
  spdlog::warn("quote \" and \\ and\nnewline");
  spdlog::default_logger()->flush();
  std::string line = out_.str();
  EXPECT_NE(
      line.find(R"("level":"warning","component":"test","msg":"quote \" and \\ and\nnewline"})"),
      std::string::npos)
      << line;
}

TEST_F(LogTest, LevelFilters) {
  Init(Format::kText);
  spdlog::trace("invisible");
  spdlog::default_logger()->flush();
  EXPECT_TRUE(out_.str().empty());
}

}  // namespace
}  // namespace mgw::log
