#include "mgw/rec/depacketizer.h"

#include "mgw/rec/h264_depacketizer.h"
#include "mgw/rec/opus_depacketizer.h"
#include "mgw/rec/vp8_depacketizer.h"

namespace mgw::rec {

std::unique_ptr<Depacketizer> MakeDepacketizer(Codec codec, Depacketizer::Listener& listener) {
  switch (codec) {
    case Codec::kOpus:
      return std::make_unique<OpusDepacketizer>(listener);
    case Codec::kVp8:
      return std::make_unique<Vp8Depacketizer>(listener);
    case Codec::kH264:
      return std::make_unique<H264Depacketizer>(listener, H264Depacketizer::Output::kAvcc);
  }
  return nullptr;
}

}  // namespace mgw::rec
