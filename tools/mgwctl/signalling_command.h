#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api_commands.h"

namespace mgwctl {

// `mgwctl api signalling MEETING_ID`: opens WebSocket signalling (ws://<url>/signalling, or
// wss:// for an https:// URL, with the bearer token), sends JOIN (unless --no-join) and then each
// --send message, and prints every message the server sends as one JSON line until it closes the
// socket or --wait seconds pass without a message. For scripts and for looking at a meeting by
// hand.
struct SignallingOptions {
  std::string meeting_id;
  bool join = true;
  std::string encryption = "srtp";
  std::optional<int> rtx_payload_type;  // JOIN's rtx_payload_type (RFC 4588), when given
  std::vector<std::string> send;        // raw JSON texts, sent in order after JOIN
  int wait_seconds = 5;
  // wss:// only: trust this PEM bundle instead of the system's CAs (or SSL_CERT_FILE); or check
  // no certificate at all (--insecure: tests and lab set-ups).
  std::string ca_file;
  bool insecure = false;
  bool requested = false;
};

void AddSignallingCommand(CLI::App& api, SignallingOptions& options);
// Exit status: 0 when the server closed the socket or the wait ran out, 69 unreachable, the TLS
// handshake failed (an untrusted certificate) or the upgrade refused, 64 bad --url or --ca.
int RunSignalling(const ApiOptions& api, const SignallingOptions& options);

}  // namespace mgwctl
