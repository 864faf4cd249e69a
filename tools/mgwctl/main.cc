// mgwctl: mgw from a shell. `mgwctl dataplane ...` speaks the dataplane control protocol
// (api/dataplane-control.md); `mgwctl api ...` calls mgw-controlplane's HTTP API
// (api/openapi.yaml, see api_commands.h). Every command prints a readable summary, or the raw JSON
// result with --json, and exits non-zero with the server's error on failure.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>
#include <optional>

#include "api_commands.h"
#include "mgw/common/config.h"
#include "mgw/control/control_server.h"
#include "mgw/version.h"
#include "signalling_command.h"

namespace {

namespace json = boost::json;
using namespace mgw::control;

constexpr int kExitUsage = 64;        // EX_USAGE
constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: the daemon could not be reached
constexpr int kExitFailed = 1;        // the daemon refused the request

void PrettyPrint(std::ostream& os, const json::value& v, const std::string& indent = "") {
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.as_object();
      if (o.empty()) {
        os << "{}";
        break;
      }
      os << "{\n";
      size_t i = 0;
      for (const auto& [key, value] : o) {
        os << indent << "  " << json::serialize(json::string(key)) << ": ";
        PrettyPrint(os, value, indent + "  ");
        os << (++i < o.size() ? ",\n" : "\n");
      }
      os << indent << "}";
      break;
    }
    case json::kind::array: {
      const auto& a = v.as_array();
      if (a.empty()) {
        os << "[]";
        break;
      }
      os << "[\n";
      for (size_t i = 0; i < a.size(); ++i) {
        os << indent << "  ";
        PrettyPrint(os, a[i], indent + "  ");
        os << (i + 1 < a.size() ? ",\n" : "\n");
      }
      os << indent << "]";
      break;
    }
    default:
      os << json::serialize(v);
  }
}

struct Options {
  std::string config_file;
  std::string socket;
  bool json_output = false;
};

std::string SocketPath(const Options& options) {
  if (!options.socket.empty()) return options.socket;
  mgw::config::LoadOptions load;
  if (!options.config_file.empty()) load.file = options.config_file;
  load.environment = mgw::config::LoadOptions::ProcessEnvironment();
  mgw::config::Config config = mgw::config::Config::Load(load);
  return config.GetPath("dataplane.control_socket", "runtime_dir");
}

int Run(const Options& options, const Command& command) {
  try {
    ControlClient client(SocketPath(options));
    json::object result = client.Call(command);
    if (options.json_output) {
      std::cout << json::serialize(result) << "\n";
    } else if (result.empty()) {
      std::cout << "ok\n";
    } else {
      PrettyPrint(std::cout, result);
      std::cout << "\n";
    }
    return 0;
  } catch (const mgw::config::ConfigError& e) {
    std::cerr << "mgwctl: configuration error: " << e.what() << "\n";
    return 78;
  } catch (const ControlCallError& e) {
    if (options.json_output) {
      std::cout << json::serialize(json::object{{"code", ToString(e.error().code)},
                                                {"message", e.error().message}})
                << "\n";
    }
    std::cerr << "mgwctl: the dataplane refused " << OpName(command) << ": " << e.what() << "\n";
    return kExitFailed;
  } catch (const std::exception& e) {
    std::cerr << "mgwctl: " << e.what() << "\n";
    return kExitUnavailable;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mgwctl: manage mgw from a shell", "mgwctl"};
  app.set_version_flag("--version", fmt::format("mgwctl {}", mgw::kVersion));
  app.require_subcommand(1);
  Options options;
  app.add_option("-c,--config", options.config_file,
                 "mgw.toml to read socket paths and addresses from (default: embedded defaults)");
  app.add_flag("--json", options.json_output, "Print results as one JSON object, for scripts");

  auto* dp = app.add_subcommand("dataplane", "Program and inspect mgw-dataplane over its socket");
  dp->add_option("-s,--socket", options.socket,
                 "Control socket (default: dataplane.control_socket from the configuration)");
  dp->require_subcommand(1);
  dp->fallthrough();  // `mgwctl dataplane stats --json` as well as `mgwctl --json dataplane stats`
  std::optional<Command> command;

  dp->add_subcommand("hello", "Protocol version, backend, workers and media address")
      ->callback([&] { command = Hello{}; });

  auto* stats = dp->add_subcommand("stats", "Per-stream and per-leg counters, drops by reason");
  std::string stats_participant;
  stats->add_option("participant", stats_participant, "Only this participant");
  stats->callback([&] {
    StatsQuery q;
    if (!stats_participant.empty()) q.participant = stats_participant;
    command = q;
  });

  auto* add = dp->add_subcommand("add", "Add a participant (raw JSON fields, see api/)");
  std::string add_json;
  add->add_option(
         "fields", add_json,
         R"(JSON object of participant.add fields, e.g. '{"participant":"p1","meeting":"m1","audio":{"ssrc":1}}')")
      ->required();
  add->callback([&] {
    json::object fields;
    try {
      fields = json::parse(add_json).as_object();
    } catch (const std::exception& e) {
      throw CLI::ValidationError("fields", std::string("not a JSON object: ") + e.what());
    }
    fields["v"] = kProtocolVersion;
    fields["id"] = 0;
    fields["op"] = "participant.add";
    auto parsed = ParseRequest(json::serialize(fields));
    if (auto* failure = std::get_if<ParseFailure>(&parsed)) {
      throw CLI::ValidationError("fields", failure->error.message);
    }
    command = std::get<Request>(parsed).command;
  });

  auto* remove = dp->add_subcommand("remove", "Remove a participant and its subscriptions");
  std::string remove_participant;
  remove->add_option("participant", remove_participant)->required();
  remove->callback([&] { command = RemoveParticipant{remove_participant}; });

  auto* end = dp->add_subcommand("end-meeting", "Remove every participant of a meeting");
  std::string end_meeting;
  end->add_option("meeting", end_meeting)->required();
  end->callback([&] { command = RemoveMeeting{end_meeting}; });

  auto* sub = dp->add_subcommand("subscribe", "Subscribe SUBSCRIBER to PUBLISHER's video");
  Subscribe subscribe;
  sub->add_option("subscriber", subscribe.subscriber)->required();
  sub->add_option("publisher", subscribe.publisher)->required();
  sub->add_option("--bitrate", subscribe.bitrate, "Requested bits per second")
      ->default_val(1'000'000);
  uint32_t rtx_ssrc = 0;
  unsigned rtx_payload_type = 0;
  auto* rtx_ssrc_option =
      sub->add_option("--rtx-ssrc", rtx_ssrc, "RFC 4588 RTX SSRC the subscriber negotiated");
  auto* rtx_pt_option = sub->add_option("--rtx-payload-type", rtx_payload_type,
                                        "RTX payload type the subscriber negotiated")
                            ->check(CLI::Range(0, 127));
  rtx_ssrc_option->needs(rtx_pt_option);
  rtx_pt_option->needs(rtx_ssrc_option);
  sub->callback([&] {
    if (rtx_ssrc_option->count() > 0) {
      subscribe.rtx_ssrc = rtx_ssrc;
      subscribe.rtx_payload_type = static_cast<uint8_t>(rtx_payload_type);
    }
    command = subscribe;
  });

  auto* unsub = dp->add_subcommand("unsubscribe", "Stop SUBSCRIBER receiving PUBLISHER's video");
  Unsubscribe unsubscribe;
  unsub->add_option("subscriber", unsubscribe.subscriber)->required();
  unsub->add_option("publisher", unsubscribe.publisher)->required();
  unsub->callback([&] { command = unsubscribe; });

  auto* swap_cmd = dp->add_subcommand("swap", "Unsubscribe and subscribe in one step");
  std::string swap_subscriber;
  std::vector<std::string> swap_remove;
  std::vector<std::string> swap_add;
  uint64_t swap_bitrate = 1'000'000;
  swap_cmd->add_option("subscriber", swap_subscriber)->required();
  swap_cmd->add_option("--remove", swap_remove, "Publisher to drop (repeatable)");
  swap_cmd->add_option("--add", swap_add, "Publisher to add (repeatable)");
  swap_cmd->add_option("--bitrate", swap_bitrate, "Requested bits per second for added feeds");
  swap_cmd->callback([&] {
    Swap s{swap_subscriber, swap_remove, {}};
    for (const auto& p : swap_add) s.add.push_back({p, swap_bitrate});
    command = s;
  });

  mgwctl::ApiOptions api_options;
  mgwctl::AddApiCommands(app, api_options);
  mgwctl::SignallingOptions signalling_options;
  mgwctl::AddSignallingCommand(*app.get_subcommand("api"), signalling_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);
    return status == 0 ? 0 : kExitUsage;
  }
  if (api_options.pending) return mgwctl::RunApiRequest(api_options, options.json_output);
  if (signalling_options.requested) return mgwctl::RunSignalling(api_options, signalling_options);
  if (!command) return kExitUsage;
  return Run(options, *command);
}
