#include "mgw/dp/drop_reason.h"

#include <array>

namespace mgw::dp {
namespace {

constexpr std::array<std::string_view, kDropReasonCount> kNames = {
    "none",
    "short_header",
    "bad_version",
    "csrc_past_end",
    "extension_past_end",
    "bad_padding",
    "not_rtp_or_rtcp",
    "rtx_malformed",
    "rtcp_compound_error",
    "unknown_ssrc",
    "address_not_latched",
    "srtp_auth_fail",
    "srtp_replay",
    "srtp_no_keys",
    "srtp_error",
    "no_subscribers",
    "layer_not_selected",
    "waiting_for_keyframe",
    "stale_packet",
    "no_destination",
    "output_full",
    "unknown_leg",
    "keyframe_request_limited",
    "cache_miss",
    "cache_expired",
};

// A new enumerator without a name fails here rather than printing garbage in metrics.
static_assert(kNames.back() == "cache_expired");

}  // namespace

std::string_view Name(DropReason reason) {
  const auto index = static_cast<size_t>(reason);
  return index < kNames.size() ? kNames[index] : std::string_view("invalid");
}

}  // namespace mgw::dp
