#include "mgw/service/join_link.h"

#include <fmt/format.h>

namespace mgw::service {

std::string PercentEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

std::string JoinLink(const JoinLinkParams& params) {
  return fmt::format("https://{}/webapp/?conference={}&name={}&bw={}&pin={}&join=1&role={}",
                     params.address, PercentEncode(params.alias), PercentEncode(params.name),
                     params.bandwidth_kbps, PercentEncode(params.pin), PercentEncode(params.role));
}

}  // namespace mgw::service
