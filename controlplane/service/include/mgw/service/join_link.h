#pragma once

#include <string>
#include <string_view>

namespace mgw::service {

// The web app's join link for one participant:
//   https://<address>/webapp/?conference=<alias>&name=<name>&bw=<bw>&pin=<pin>&join=1&role=<role>
// Every value is percent-encoded (RFC 3986 unreserved characters stay as they are); the address
// is written as given (host, host:port).
struct JoinLinkParams {
  std::string_view address;
  std::string_view alias;
  std::string_view name;
  int bandwidth_kbps = 576;  // kMinBandwidthKbps..kMaxBandwidthKbps
  std::string_view pin;
  std::string_view role;  // host or guest
};

inline constexpr int kMinBandwidthKbps = 256;
inline constexpr int kMaxBandwidthKbps = 1864;
inline constexpr int kDefaultBandwidthKbps = 576;

std::string JoinLink(const JoinLinkParams& params);
std::string PercentEncode(std::string_view text);

}  // namespace mgw::service
