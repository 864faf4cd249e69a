#pragma once

// nodemailer's smtp-server (tests/controlplane/service/smtp_sink.mjs, from package.json) as a
// child process on 127.0.0.1 and a free port, for tests that check mail really arrives.

#include <openssl/evp.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "child_process.h"

namespace mgw::testing {

// A base64 body (what email.send writes) as text; "<not base64>" when it is not.
inline std::string DecodeBase64(std::string text) {
  std::erase_if(text, [](char c) { return c == '\r' || c == '\n'; });
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return "<not base64>";
  out.resize(static_cast<size_t>(n));
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
    out.pop_back();
  }
  return out;
}

// The decoded text body of a raw message as the sink received it.
inline std::string MessageText(const std::string& data) {
  const size_t body_at = data.find("\r\n\r\n");
  return body_at == std::string::npos ? "" : DecodeBase64(data.substr(body_at + 4));
}

class SmtpSink {
 public:
  // `node`: the node executable; `extra`: smtp_sink.mjs's options (--auth, --reject-rcpt, --tls).
  explicit SmtpSink(const std::string& node, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {node, SourcePath("tests/controlplane/service/smtp_sink.mjs")};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<ChildProcess>(ChildProcess::Options{.args = args});
    auto match = process_->WaitForLine(std::regex("LISTENING ([0-9]+)"), std::chrono::seconds(30));
    if (!match) throw std::runtime_error("smtp sink did not start: " + process_->output());
    port_ = (*match)[1].str();
  }

  std::string url() const { return "smtp://127.0.0.1:" + port_; }

  // The next accepted message, as the server received it: {envelope, user, raw}.
  boost::json::value NextMessage(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    auto match = process_->WaitForLine(std::regex("MESSAGE (.*)"), timeout);
    if (!match) throw std::runtime_error("no message arrived: " + process_->output());
    return boost::json::parse((*match)[1].str());
  }

  const std::string& output() const { return process_->output(); }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string port_;
};

}  // namespace mgw::testing
