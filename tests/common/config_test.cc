#include "mgw/common/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace mgw::config {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/mgw-config-test-XXXXXX.toml";
    int fd = mkstemps(name, 5);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string LoadError(const LoadOptions& options) {
  try {
    Config::Load(options);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

// The error for a file holding `text`, with the file's temporary name shown as FILE.
std::string FileError(const std::string& text) {
  TempFile file(text);
  LoadOptions options;
  options.file = file.path();
  std::string error = LoadError(options);
  if (error.starts_with(file.path())) error.replace(0, file.path().size(), "FILE");
  return error;
}

TEST(ConfigTest, DefaultsAreTheSchemaDefaults) {
  Config config;
  EXPECT_EQ(config.GetInt("controlplane.port"), 8080);
  EXPECT_EQ(config.GetString("dataplane.backend"), "uring");
  EXPECT_FALSE(config.GetBool("controlplane.tls.enabled"));
  EXPECT_TRUE(config.GetStringList("dataplane.dpdk.eal_args").empty());
  EXPECT_EQ(config.GetOrigin("controlplane.port").kind, Origin::Kind::kDefault);
}

TEST(ConfigTest, FileValuesCarryTheirLine) {
  TempFile file("# comment\n[controlplane]\nport = 9000\n\n[dataplane]\nworkers = 2\n");
  Config config = Config::Load({.file = file.path()});
  EXPECT_EQ(config.GetInt("controlplane.port"), 9000);
  EXPECT_EQ(config.GetInt("dataplane.workers"), 2);
  EXPECT_EQ(config.GetOrigin("controlplane.port").Describe(), file.path() + ":3");
  EXPECT_EQ(config.GetOrigin("dataplane.workers").Describe(), file.path() + ":6");
}

TEST(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(FileError("[controlplane]\nport = 8080\nprot = 1\n"),
            "FILE:3: controlplane.prot: unknown key");
}

TEST(ConfigTest, UnknownTableIsRejected) {
  EXPECT_EQ(FileError("[contrlplane]\nport = 1\n"), "FILE:1: contrlplane: unknown table");
}

TEST(ConfigTest, WrongTypeSaysWhatWasExpected) {
  EXPECT_EQ(FileError("[controlplane]\nport = \"abc\"\n"),
            "FILE:2: controlplane.port: expected an integer from 0 to 65535, got a string");
  EXPECT_EQ(FileError("[controlplane.tls]\nenabled = 1\n"),
            "FILE:2: controlplane.tls.enabled: expected a boolean (true or false), got an integer");
  EXPECT_EQ(FileError("[dataplane.dpdk]\neal_args = [\"-l\", 3]\n"),
            "FILE:2: dataplane.dpdk.eal_args: expected an array of strings, got an element "
            "that is an integer");
}

TEST(ConfigTest, OutOfRangeAndBadChoice) {
  EXPECT_EQ(FileError("[controlplane]\nport = 70000\n"),
            "FILE:2: controlplane.port: expected an integer from 0 to 65535, got 70000");
  EXPECT_EQ(FileError("[dataplane]\nbackend = \"netmap\"\n"),
            "FILE:2: dataplane.backend: expected one of \"dpdk\", \"uring\", \"posix\", got "
            "\"netmap\"");
}

TEST(ConfigTest, SyntaxErrorNamesLineAndColumn) {
  std::string error = FileError("[controlplane]\nport = = 3\n");
  EXPECT_TRUE(error.starts_with("FILE:2:")) << error;
}

TEST(ConfigTest, MissingFileIsAnError) {
  std::string error = LoadError({.file = "/nonexistent/mgw.toml"});
  EXPECT_TRUE(error.starts_with("/nonexistent/mgw.toml:")) << error;
}

TEST(ConfigTest, EnvironmentOverridesFileAndFlagOverridesEnvironment) {
  TempFile file("[controlplane]\nport = 9000\n");
  LoadOptions options{.file = file.path(),
                      .environment = {{"MGW_CONTROLPLANE_PORT", "9001"},
                                      {"MGW_DATAPLANE_BACKEND", "posix"},
                                      {"MGW_UNRELATED", "x"}},
                      .overrides = {"controlplane.port=9002"}};
  Config config = Config::Load(options);
  EXPECT_EQ(config.GetInt("controlplane.port"), 9002);
  EXPECT_EQ(config.GetString("dataplane.backend"), "posix");
  EXPECT_EQ(config.GetOrigin("dataplane.backend").Describe(), "environment MGW_DATAPLANE_BACKEND");
}

TEST(ConfigTest, BadEnvironmentAndFlagValuesAreNamed) {
  EXPECT_EQ(LoadError({.environment = {{"MGW_CONTROLPLANE_PORT", "abc"}}}),
            "environment MGW_CONTROLPLANE_PORT: controlplane.port: expected an integer from 0 "
            "to 65535, got \"abc\"");
  EXPECT_EQ(LoadError({.overrides = {"controlplane.nope=1"}}),
            "flag --set controlplane.nope=1: controlplane.nope: unknown key");
  EXPECT_EQ(LoadError({.overrides = {"controlplane.port"}}),
            "flag --set controlplane.port: controlplane.port: expected key=value");
}

TEST(ConfigTest, ListsFromTextAreCommaSeparated) {
  Config config = Config::Load({.overrides = {"dataplane.dpdk.eal_args=--no-huge,-m,512"}});
  EXPECT_EQ(config.GetStringList("dataplane.dpdk.eal_args"),
            (std::vector<std::string>{"--no-huge", "-m", "512"}));
}

TEST(ConfigTest, SecretsAreNeverRendered) {
  Config config = Config::Load({.environment = {{"MGW_ADMIN_PASSWORD", "hunter2-secret"}},
                                .overrides = {"recorder.s3.secret_access_key=AKIAsecret"}});
  EXPECT_EQ(config.GetSecret("admin.password").Reveal(), "hunter2-secret");
  std::string text = config.Render();
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find("AKIAsecret"), std::string::npos);
  EXPECT_NE(text.find("password = \"<redacted>\"  # environment MGW_ADMIN_PASSWORD"),
            std::string::npos);
  EXPECT_THROW(config.GetString("admin.password"), std::logic_error);
}

TEST(ConfigTest, RenderedConfigLoadsBackToTheSameValues) {
  Config config = Config::Load({.overrides = {"controlplane.port=1234", "log.format=json",
                                              "dataplane.dpdk.eal_args=a,b\"c"}});
  TempFile file(config.Render());
  Config again = Config::Load({.file = file.path()});
  EXPECT_EQ(again.GetInt("controlplane.port"), 1234);
  EXPECT_EQ(again.GetString("log.format"), "json");
  EXPECT_EQ(again.GetStringList("dataplane.dpdk.eal_args"),
            (std::vector<std::string>{"a", "b\"c"}));
}

TEST(ConfigTest, RelativePathsResolveAgainstTheirBase) {
  Config config = Config::Load({.overrides = {"state_dir=/srv/mgw"}});
  EXPECT_EQ(config.GetPath("controlplane.database.sqlite_path", "state_dir"), "/srv/mgw/mgw.db");
  config.Set("controlplane.database.sqlite_path", "/data/x.db");
  EXPECT_EQ(config.GetPath("controlplane.database.sqlite_path", "state_dir"), "/data/x.db");
}

TEST(ConfigTest, EnvNamesFollowTheKey) {
  EXPECT_EQ(EnvName("controlplane.database.postgresql_uri"),
            "MGW_CONTROLPLANE_DATABASE_POSTGRESQL_URI");
  EXPECT_EQ(EnvName("admin.user"), "MGW_ADMIN_USER");
  EXPECT_EQ(EnvName("admin.password"), "MGW_ADMIN_PASSWORD");
}

// deploy/mgw.toml is the documented default configuration: it must name every key, with the
// embedded default, and document each one with a comment right above it.
TEST(ConfigTest, ShippedFileDocumentsEveryKeyWithItsDefault) {
  const char* source_dir = std::getenv("MGW_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr);
  std::string path = std::string(source_dir) + "/deploy/mgw.toml";
  Config shipped = Config::Load({.file = path});
  Config defaults;
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (const KeySpec& spec : Schema()) {
    const Origin& origin = shipped.GetOrigin(spec.key);
    EXPECT_EQ(origin.kind, Origin::Kind::kFile) << spec.key << " is not in deploy/mgw.toml";
    if (origin.kind != Origin::Kind::kFile) continue;
    size_t line = std::stoul(origin.detail.substr(origin.detail.rfind(':') + 1));
    ASSERT_GE(line, 2u);
    EXPECT_TRUE(lines[line - 2].starts_with("#")) << spec.key << " has no comment above it";
    switch (spec.type) {
      case Type::kBool:
        EXPECT_EQ(shipped.GetBool(spec.key), defaults.GetBool(spec.key)) << spec.key;
        break;
      case Type::kInt:
        EXPECT_EQ(shipped.GetInt(spec.key), defaults.GetInt(spec.key)) << spec.key;
        break;
      case Type::kString:
        EXPECT_EQ(shipped.GetSecret(spec.key), defaults.GetSecret(spec.key)) << spec.key;
        break;
      case Type::kStringList:
        EXPECT_EQ(shipped.GetStringList(spec.key), defaults.GetStringList(spec.key)) << spec.key;
        break;
    }
  }
}

}  // namespace
}  // namespace mgw::config
