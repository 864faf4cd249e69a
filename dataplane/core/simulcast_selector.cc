#include "mgw/dp/simulcast_selector.h"

namespace mgw::dp {

int SelectEncoding(std::span<const EncodingChoice> encodings, uint32_t requested_bps) {
  if (requested_bps == 0) return kNoEncoding;
  int best_fit = kNoEncoding;
  int lowest = kNoEncoding;
  for (int i = 0; i < static_cast<int>(encodings.size()); ++i) {
    const EncodingChoice& e = encodings[static_cast<size_t>(i)];
    if (!e.active) continue;
    if (lowest == kNoEncoding ||
        e.bitrate_bps < encodings[static_cast<size_t>(lowest)].bitrate_bps) {
      lowest = i;
    }
    if (e.bitrate_bps <= requested_bps &&
        (best_fit == kNoEncoding ||
         e.bitrate_bps > encodings[static_cast<size_t>(best_fit)].bitrate_bps)) {
      best_fit = i;
    }
  }
  return best_fit != kNoEncoding ? best_fit : lowest;
}

}  // namespace mgw::dp
