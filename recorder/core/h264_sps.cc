#include "mgw/rec/h264_sps.h"

#include <vector>

namespace mgw::rec {

namespace {

// Exp-Golomb bit reader over the RBSP; every read past the end sets `failed`.
class BitReader {
 public:
  explicit BitReader(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}

  uint32_t Bit() {
    if (position_ >= bytes_.size() * 8) {
      failed = true;
      return 0;
    }
    const uint32_t bit = (bytes_[position_ / 8] >> (7 - position_ % 8)) & 1;
    ++position_;
    return bit;
  }
  uint32_t Bits(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 1) | Bit();
    return v;
  }
  uint32_t Ue() {
    int zeros = 0;
    while (Bit() == 0 && !failed) {
      if (++zeros > 31) {
        failed = true;
        return 0;
      }
    }
    return ((1u << zeros) - 1) + Bits(zeros);
  }
  int32_t Se() {
    const uint32_t v = Ue();
    return (v & 1) != 0 ? static_cast<int32_t>((v + 1) / 2) : -static_cast<int32_t>(v / 2);
  }

  bool failed = false;

 private:
  const std::vector<uint8_t>& bytes_;
  size_t position_ = 0;
};

void SkipScalingList(BitReader& r, int size) {
  int last = 8;
  int next = 8;
  for (int j = 0; j < size && !r.failed; ++j) {
    if (next != 0) next = (last + r.Se() + 256) % 256;
    last = next == 0 ? last : next;
  }
}

bool HasChromaFormat(uint32_t profile_idc) {
  switch (profile_idc) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<PictureSize> ParseH264SpsSize(std::span<const uint8_t> sps) {
  if (sps.size() < 4 || (sps[0] & 0x1F) != 7) return std::nullopt;
  // RBSP: drop the header byte and every emulation prevention byte (00 00 03).
  std::vector<uint8_t> rbsp;
  rbsp.reserve(sps.size());
  int zeros = 0;
  for (size_t i = 1; i < sps.size(); ++i) {
    if (zeros >= 2 && sps[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = sps[i] == 0 ? zeros + 1 : 0;
    rbsp.push_back(sps[i]);
  }
  BitReader r(rbsp);
  const uint32_t profile_idc = r.Bits(8);
  r.Bits(16);  // constraint flags, level_idc
  r.Ue();      // seq_parameter_set_id
  uint32_t chroma_format_idc = 1;
  bool separate_colour_plane = false;
  if (HasChromaFormat(profile_idc)) {
    chroma_format_idc = r.Ue();
    if (chroma_format_idc > 3) return std::nullopt;
    if (chroma_format_idc == 3) separate_colour_plane = r.Bit() != 0;
    r.Ue();              // bit_depth_luma_minus8
    r.Ue();              // bit_depth_chroma_minus8
    r.Bit();             // qpprime_y_zero_transform_bypass_flag
    if (r.Bit() != 0) {  // seq_scaling_matrix_present_flag
      const int lists = chroma_format_idc != 3 ? 8 : 12;
      for (int i = 0; i < lists; ++i) {
        if (r.Bit() != 0) SkipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.Ue();  // log2_max_frame_num_minus4
  const uint32_t poc_type = r.Ue();
  if (poc_type == 0) {
    r.Ue();  // log2_max_pic_order_cnt_lsb_minus4
  } else if (poc_type == 1) {
    r.Bit();  // delta_pic_order_always_zero_flag
    r.Se();   // offset_for_non_ref_pic
    r.Se();   // offset_for_top_to_bottom_field
    const uint32_t cycle = r.Ue();
    if (cycle > 255) return std::nullopt;
    for (uint32_t i = 0; i < cycle; ++i) r.Se();
  }
  r.Ue();   // max_num_ref_frames
  r.Bit();  // gaps_in_frame_num_value_allowed_flag
  const uint32_t width_mbs = r.Ue() + 1;
  const uint32_t height_map_units = r.Ue() + 1;
  const uint32_t frame_mbs_only = r.Bit();
  if (frame_mbs_only == 0) r.Bit();  // mb_adaptive_frame_field_flag
  r.Bit();                           // direct_8x8_inference_flag
  uint32_t crop_left = 0, crop_right = 0, crop_top = 0, crop_bottom = 0;
  if (r.Bit() != 0) {
    crop_left = r.Ue();
    crop_right = r.Ue();
    crop_top = r.Ue();
    crop_bottom = r.Ue();
  }
  if (r.failed || width_mbs > 1024 || height_map_units > 1024) return std::nullopt;
  // Section 7.4.2.1.1: cropping is counted in chroma samples (CropUnitX/Y).
  const bool has_chroma = chroma_format_idc != 0 && !separate_colour_plane;
  const uint32_t crop_x = has_chroma && chroma_format_idc != 3 ? 2 : 1;
  const uint32_t crop_y = (has_chroma && chroma_format_idc == 1 ? 2 : 1) * (2 - frame_mbs_only);
  const int64_t width = int64_t{width_mbs} * 16 - int64_t{crop_x} * (crop_left + crop_right);
  const int64_t height = int64_t{height_map_units} * 16 * (2 - frame_mbs_only) -
                         int64_t{crop_y} * (crop_top + crop_bottom);
  if (width <= 0 || height <= 0) return std::nullopt;
  return PictureSize{static_cast<int>(width), static_cast<int>(height)};
}

}  // namespace mgw::rec
