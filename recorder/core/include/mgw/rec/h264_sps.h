#pragma once

// Reads the picture size from an H.264 sequence parameter set (ITU-T H.264 section 7.3.2.1.1),
// because Matroska must state a video track's size in its header and RTP does not carry it.
// Only the fields before the size (and the cropping after it) are parsed.

#include <cstdint>
#include <optional>
#include <span>

namespace mgw::rec {

struct PictureSize {
  int width = 0;
  int height = 0;
};

// `sps` is the NAL unit including its header byte, with emulation prevention bytes as sent.
// nullopt when the bits run out or a value is out of range.
std::optional<PictureSize> ParseH264SpsSize(std::span<const uint8_t> sps);

}  // namespace mgw::rec
