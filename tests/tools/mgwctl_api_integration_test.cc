// `mgwctl api` against a real mgw-controlplane (SQLite, ephemeral port):
// - every operation of api/openapi.yaml has a subcommand, found by its "METHOD /path" in the help
//   of `mgwctl api` and of its nested subcommands (so a route added to the spec without an mgwctl
//   subcommand fails here);
// - `--json` prints the server's raw JSON answer on stdout, for every route that answers JSON, and
//   a refusal's problem+json too (with exit status 1).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "child_process.h"
#include "controlplane/daemon/controlplane_process.h"
#include "temp_dir.h"

namespace {

namespace json = boost::json;
using mgw::testing::BinaryPath;
using mgw::testing::ControlplaneProcess;
using mgw::testing::SourcePath;
using mgw::testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Result {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs mgwctl with `args` (shell-quoted), stdout and stderr kept apart.
Result Mgwctl(const TempDir& dir, const std::vector<std::string>& args) {
  std::string command = BinaryPath("mgwctl");
  for (const std::string& arg : args) {
    command += " '" + std::regex_replace(arg, std::regex("'"), "'\\''") + "'";
  }
  command += " >" + dir.File("out") + " 2>" + dir.File("err");
  Result run;
  const int status = std::system(command.c_str());
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadFile(dir.File("out"));
  run.err = ReadFile(dir.File("err"));
  return run;
}

// Every "METHOD /path" of the spec, from its `paths:` block.
std::set<std::string> SpecOperations() {
  std::istringstream spec(ReadFile(SourcePath("api/openapi.yaml")));
  const std::regex path_line(R"(^  (/\S*):\s*$)");
  const std::regex method_line(R"(^    (get|post|put|patch|delete):\s*$)");
  std::set<std::string> operations;
  std::string line, path;
  bool in_paths = false;
  while (std::getline(spec, line)) {
    std::smatch m;
    if (line.rfind("paths:", 0) == 0) {
      in_paths = true;
    } else if (!line.empty() && line[0] != ' ' && line[0] != '#') {
      in_paths = false;
    } else if (in_paths && std::regex_match(line, m, path_line)) {
      path = m[1];
    } else if (in_paths && !path.empty() && std::regex_match(line, m, method_line)) {
      std::string method = m[1];
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      operations.insert(method + " " + path);
    }
  }
  return operations;
}

// The names listed under "Subcommands:" in a CLI11 help text.
std::vector<std::string> Subcommands(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream in(help);
  std::string line;
  bool listing = false;
  const std::regex entry(R"(^  (\S+)\s.*)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.rfind("Subcommands:", 0) == 0 || line.rfind("SUBCOMMANDS:", 0) == 0) {
      listing = true;
    } else if (listing && std::regex_match(line, m, entry)) {
      names.push_back(m[1]);
    } else if (listing && !line.empty() && line[0] != ' ') {
      listing = false;
    }
  }
  return names;
}

TEST(MgwctlApi, EveryOperationOfTheSpecHasASubcommand) {
  TempDir dir("mgwctl-test");
  Result top = Mgwctl(dir, {"api", "--help"});
  ASSERT_EQ(top.status, 0) << top.err;
  std::string help = top.out;
  const std::vector<std::string> names = Subcommands(top.out);
  ASSERT_GT(names.size(), 10u) << top.out;
  for (const std::string& name : names) {
    Result sub = Mgwctl(dir, {"api", name, "--help"});
    ASSERT_EQ(sub.status, 0) << name << ": " << sub.err;
    help += sub.out;
    for (const std::string& nested : Subcommands(sub.out)) {
      Result leaf = Mgwctl(dir, {"api", name, nested, "--help"});
      ASSERT_EQ(leaf.status, 0) << name << " " << nested << ": " << leaf.err;
      help += leaf.out;
    }
  }
  const std::set<std::string> operations = SpecOperations();
  ASSERT_GT(operations.size(), 20u);
  for (const std::string& operation : operations) {
    // "GET /account" must not be satisfied by "GET /account/tokens"; a path parameter may have
    // another name in the help ("{id}" for "{conference_id}").
    std::string escaped = std::regex_replace(operation, std::regex(R"(\.)"), R"(\.)");
    escaped = std::regex_replace(escaped, std::regex(R"(\{[^}]*\})"), R"(\{[^}/]+\})");
    EXPECT_TRUE(std::regex_search(help, std::regex("(^|\\s)" + escaped + "($|[^\\w/{}-])")))
        << "no `mgwctl api` subcommand names " << operation;
  }
}

class MgwctlJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ControlplaneProcess>(state_.path(), std::nullopt);
    ASSERT_TRUE(server_->started()) << server_->child().output();
    url_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  // `mgwctl --json api --url URL [--token T] args...`; expects exit 0 and returns stdout.
  std::string Json(const std::vector<std::string>& args, const std::string& token = "") {
    std::vector<std::string> all = {"--json", "api", "--url", url_};
    if (!token.empty()) all.insert(all.end(), {"--token", token});
    all.insert(all.end(), args.begin(), args.end());
    Result run = Mgwctl(dir_, all);
    EXPECT_EQ(run.status, 0) << args[0] << ": " << run.err << run.out;
    return run.out;
  }

  // Parses stdout as exactly one JSON object (one line: the raw body) and returns it.
  json::object Object(const std::vector<std::string>& args, const std::string& token = "") {
    const std::string out = Json(args, token);
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << args[0] << ": " << out;
    boost::system::error_code ec;
    json::value value = json::parse(out, ec);
    EXPECT_FALSE(ec) << args[0] << ": not JSON: " << out;
    EXPECT_TRUE(value.is_object()) << args[0] << ": " << out;
    return value.is_object() ? value.as_object() : json::object{};
  }

  TempDir state_{"mgwctl-state"};
  TempDir dir_{"mgwctl-out"};
  std::unique_ptr<ControlplaneProcess> server_;
  std::string url_;
};

TEST_F(MgwctlJsonTest, EverySubcommandPrintsTheRawJson) {
  EXPECT_EQ(Object({"healthz"}).at("status").as_string(), "ok");
  EXPECT_TRUE(Object({"readyz"}).contains("status"));
  EXPECT_NE(Json({"metrics"}).find("# TYPE"), std::string::npos);  // Prometheus text, as is

  EXPECT_EQ(Object({"signup", "carol@example.com", "carol-password-1"}).at("email").as_string(),
            "carol@example.com");
  json::object login = Object({"login", "carol@example.com", "carol-password-1"});
  const std::string token(login.at("token").as_string());
  Object({"login", "carol@example.com", "carol-password-1"});  // a second token, revoked below
  EXPECT_EQ(Object({"me"}, token).at("email").as_string(), "carol@example.com");
  json::object tokens = Object({"tokens", "--limit", "10"}, token);
  ASSERT_EQ(tokens.at("items").as_array().size(), 2u);
  std::string other_token_id;
  for (const json::value& t : tokens.at("items").as_array()) {
    if (!t.at("current").as_bool())
      other_token_id = std::to_string(t.at("id").to_number<int64_t>());
  }
  ASSERT_FALSE(other_token_id.empty());

  json::object key = Object({"key-create", "ci", "--scope", "write"}, token);
  const std::string key_id = std::to_string(key.at("id").to_number<int64_t>());
  EXPECT_EQ(Object({"keys"}, token).at("total").to_number<int64_t>(), 1);

  json::object meeting = Object({"meeting-create", "--title", "standup"}, token);
  const std::string id(meeting.at("id").as_string());
  EXPECT_EQ(Object({"meeting-get", id}, token).at("title").as_string(), "standup");
  EXPECT_EQ(Object({"meetings"}, token).at("total").to_number<int64_t>(), 1);
  EXPECT_EQ(Object({"meeting-join", id, "--display-name", "Carol"}, token)
                .at("participant_count")
                .to_number<int64_t>(),
            1);
  EXPECT_TRUE(Object({"meeting-record", id}, token).contains("meeting"));
  EXPECT_EQ(Object({"recipients", id}, token).at("total").to_number<int64_t>(), 1);
  EXPECT_EQ(Object({"meeting-leave", id}, token).at("participant_count").to_number<int64_t>(), 0);
  EXPECT_EQ(Object({"meeting-end", id}, token).at("state").as_string(), "ended");

  // 204 answers print nothing with --json.
  EXPECT_EQ(Json({"meeting-delete", id}, token), "");
  EXPECT_EQ(Json({"key-revoke", key_id}, token), "");
  EXPECT_EQ(Json({"revoke-token", other_token_id}, token), "");

  // A refusal: the problem+json on stdout, exit status 1, the status on stderr.
  Result refused =
      Mgwctl(dir_, {"--json", "api", "--url", url_, "--token", token, "meeting-get", id});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("HTTP 404"), std::string::npos) << refused.err;
  json::object problem = json::parse(refused.out).as_object();
  EXPECT_EQ(problem.at("status").to_number<int64_t>(), 404);
  EXPECT_TRUE(problem.contains("type"));

  EXPECT_EQ(Json({"delete-account"}, token), "");
  Result gone = Mgwctl(dir_, {"--json", "api", "--url", url_, "--token", token, "me"});
  EXPECT_EQ(gone.status, 1);
  EXPECT_EQ(json::parse(gone.out).at("status").to_number<int64_t>(), 401);
}

TEST_F(MgwctlJsonTest, JobsListGetAndRetry) {
  json::object login = Object({"login", "admin", ControlplaneProcess::kAdminPassword});
  const std::string admin(login.at("token").as_string());
  json::object all = Object({"jobs", "list", "--limit", "5"}, admin);
  EXPECT_TRUE(all.contains("total")) << json::serialize(all);
  EXPECT_EQ(all.at("limit").to_number<int64_t>(), 5);
  json::object none = Object(
      {"jobs", "list", "--state", "dead", "--kind", "no.such.kind", "--after-id", "1"}, admin);
  EXPECT_EQ(none.at("total").to_number<int64_t>(), 0);
  for (const char* verb : {"get", "retry"}) {
    Result missing =
        Mgwctl(dir_, {"--json", "api", "--url", url_, "--token", admin, "jobs", verb, "999999"});
    EXPECT_EQ(missing.status, 1) << verb << ": " << missing.out << missing.err;
    EXPECT_EQ(json::parse(missing.out).at("status").to_number<int64_t>(), 404) << verb;
  }
}

}  // namespace
