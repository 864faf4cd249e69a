#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "api_commands.h"

namespace mgwctl {

// `mgwctl api signalling MEETING_ID`: opens WebSocket signalling (ws://<url>/signalling, with the
// bearer token), sends JOIN (unless --no-join) and then each --send message, and prints every
// message the server sends as one JSON line until it closes the socket or --wait seconds pass
// without a message. For scripts and for looking at a meeting by hand.
struct SignallingOptions {
  std::string meeting_id;
  bool join = true;
  std::string encryption = "srtp";
  std::vector<std::string> send;  // raw JSON texts, sent in order after JOIN
  int wait_seconds = 5;
  bool requested = false;
};

void AddSignallingCommand(CLI::App& api, SignallingOptions& options);
// Exit status: 0 when the server closed the socket or the wait ran out, 69 unreachable or the
// upgrade refused, 64 bad --url.
int RunSignalling(const ApiOptions& api, const SignallingOptions& options);

}  // namespace mgwctl
