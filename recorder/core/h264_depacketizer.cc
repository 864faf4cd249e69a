#include "mgw/rec/h264_depacketizer.h"

#include "mgw/dp/byte_order.h"
#include "mgw/rec/h264_sps.h"

namespace mgw::rec {

std::vector<uint8_t> BuildAvcDecoderConfiguration(std::span<const uint8_t> sps,
                                                  std::span<const uint8_t> pps) {
  std::vector<uint8_t> out;
  if (sps.size() < 4 || pps.empty()) return out;
  out.reserve(11 + sps.size() + pps.size());
  out.push_back(1);       // configurationVersion
  out.push_back(sps[1]);  // AVCProfileIndication
  out.push_back(sps[2]);  // profile_compatibility
  out.push_back(sps[3]);  // AVCLevelIndication
  out.push_back(0xFF);    // 6 reserved bits, lengthSizeMinusOne = 3
  out.push_back(0xE1);    // 3 reserved bits, one SPS
  out.push_back(static_cast<uint8_t>(sps.size() >> 8));
  out.push_back(static_cast<uint8_t>(sps.size()));
  out.insert(out.end(), sps.begin(), sps.end());
  out.push_back(1);  // one PPS
  out.push_back(static_cast<uint8_t>(pps.size() >> 8));
  out.push_back(static_cast<uint8_t>(pps.size()));
  out.insert(out.end(), pps.begin(), pps.end());
  return out;
}

void H264Depacketizer::Push(const OrderedPacket& packet) {
  const auto payload = packet.payload;
  if (payload.empty()) {
    ++stats_.malformed;
    OnLoss();
    return;
  }
  if (assembling_ && packet.extended_timestamp != frame_.extended_timestamp) Complete();
  if (!assembling_) {
    assembling_ = true;
    broken_ = false;
    has_idr_ = false;
    in_fragment_ = false;
    buffer_.clear();
    frame_ = EncodedFrame{};
    frame_.ssrc = packet.ssrc;
    frame_.extended_timestamp = packet.extended_timestamp;
    frame_.arrival = packet.arrival;
  }
  const uint8_t type = payload[0] & 0x1F;
  if (type >= 1 && type <= 23) {
    if (in_fragment_) Broken();  // an FU-A ended without its E bit
    if (!AddNal(payload)) Broken();
  } else if (type == h264::kStapA) {
    if (in_fragment_) Broken();
    size_t offset = 1;
    while (offset < payload.size()) {
      if (offset + 2 > payload.size()) {
        Broken();
        break;
      }
      const size_t size = dp::LoadBe16(payload.data() + offset);
      offset += 2;
      if (size == 0 || offset + size > payload.size() || !AddNal(payload.subspan(offset, size))) {
        Broken();
        break;
      }
      offset += size;
    }
  } else if (type == h264::kFuA) {
    if (payload.size() < 3) {
      Broken();
    } else {
      const uint8_t fu_header = payload[1];
      const bool start = (fu_header & 0x80) != 0;
      const bool end = (fu_header & 0x40) != 0;
      if (start) {
        if (in_fragment_) Broken();
        in_fragment_ = true;
        fragment_.clear();
        // The fragmented NAL's header: F and NRI from the indicator, type from the FU header.
        fragment_.push_back(static_cast<uint8_t>((payload[0] & 0xE0) | (fu_header & 0x1F)));
      } else if (!in_fragment_) {
        Broken();  // a middle or end fragment whose start is not in this access unit
      }
      if (in_fragment_) {
        fragment_.insert(fragment_.end(), payload.begin() + 2, payload.end());
        if (end) {
          in_fragment_ = false;
          if (!AddNal(fragment_)) Broken();
        }
      }
    }
  } else {
    Broken();  // STAP-B, MTAP16/24, FU-B or reserved types
  }
  if (packet.marker) Complete();
}

bool H264Depacketizer::AddNal(std::span<const uint8_t> nal) {
  if (nal.empty() || (nal[0] & 0x80) != 0) return false;  // forbidden_zero_bit set
  const uint8_t type = nal[0] & 0x1F;
  if (type == h264::kSps) sps_.assign(nal.begin(), nal.end());
  if (type == h264::kPps) pps_.assign(nal.begin(), nal.end());
  if (type == h264::kIdr) has_idr_ = true;
  if (output_ == Output::kAvcc) {
    uint8_t length[4];
    dp::StoreBe32(length, static_cast<uint32_t>(nal.size()));
    buffer_.insert(buffer_.end(), length, length + 4);
  } else {
    static constexpr uint8_t kStartCode[4] = {0, 0, 0, 1};
    buffer_.insert(buffer_.end(), kStartCode, kStartCode + 4);
  }
  buffer_.insert(buffer_.end(), nal.begin(), nal.end());
  return true;
}

void H264Depacketizer::Broken() {
  ++stats_.malformed;
  broken_ = true;
}

void H264Depacketizer::Complete() {
  assembling_ = false;
  if (in_fragment_) broken_ = true;  // the last FU-A never ended
  in_fragment_ = false;
  if (broken_ || buffer_.empty()) {
    ++stats_.frames_dropped;
    NeedKeyframe();
    return;
  }
  if (has_idr_) {
    if (sps_.empty() || pps_.empty()) {
      // An IDR without parameter sets cannot be decoded; the next keyframe may carry them.
      ++stats_.frames_dropped;
      NeedKeyframe();
      return;
    }
    extradata_ = BuildAvcDecoderConfiguration(sps_, pps_);
    frame_.extradata = extradata_;
    if (const auto size = ParseH264SpsSize(sps_)) {
      frame_.width = size->width;
      frame_.height = size->height;
    }
  }
  Emit(has_idr_);
}

void H264Depacketizer::Discard() {
  VideoDepacketizer::Discard();
  in_fragment_ = false;
}

void H264Depacketizer::Finish() { Discard(); }

}  // namespace mgw::rec
