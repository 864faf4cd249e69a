#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mgw/common/secret.h"

namespace mgw::rec {

// What the control plane hands a recorder with a claim (POST /recordings/claim).
struct Claim {
  int64_t recording_id = 0;
  int claims = 0;  // fences every later report
  std::string meeting_id;
  std::string state;  // assigned for a fresh claim; recording or uploading when resumed
  std::optional<std::string> file_name;
  std::string token;  // bearer token for signalling (INIT)
  bool resumed = false;
  bool meeting_active = false;
};

struct Completion {
  std::string location;
  std::string link;
  int64_t link_expires_in_s = 0;  // 0: not sent
  std::string sha256;
  int64_t size_bytes = 0;
  int64_t duration_ms = 0;
  std::string manifest;  // JSON text
  std::string file_name;
  // Every file of the recording (segments: a participant joined after a file's header, or a
  // recorder resumed a running meeting), first to last; the fields above are the first's.
  std::vector<Completion> segments;
};

// The recorder's side of the control plane's /recordings routes (api/openapi.yaml), over
// libcurl, authenticated with the recorder secret. Blocking; thread-safe (one curl handle per
// call). Every call throws ControlplaneError when the control plane cannot be reached or answers
// anything but the documented success.
class ControlplaneClient {
 public:
  ControlplaneClient(std::string base_url, Secret secret)
      : base_url_(std::move(base_url)), secret_(std::move(secret)) {}

  std::optional<Claim> ClaimNext(const std::string& recorder);
  void Progress(const Claim& claim, const std::string& state,
                const std::optional<std::string>& file_name);
  void Complete(const Claim& claim, const Completion& completion);
  void Fail(const Claim& claim, const std::string& error);

  const std::string& base_url() const { return base_url_; }

 private:
  // The status and the body of a POST of `body` to `path`.
  std::pair<long, std::string> Post(const std::string& path, const boost::json::object& body);
  void PostExpecting200(const std::string& path, const boost::json::object& body);

  std::string base_url_;
  Secret secret_;
};

class ControlplaneError : public std::runtime_error {
 public:
  ControlplaneError(long status, const std::string& what)
      : std::runtime_error(what), status_(status) {}
  long status() const { return status_; }  // 0 when nothing was answered

 private:
  long status_;
};

}  // namespace mgw::rec
