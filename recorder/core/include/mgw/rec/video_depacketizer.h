#pragma once

#include <cstdint>
#include <vector>

#include "mgw/rec/depacketizer.h"

namespace mgw::rec {

// What the video depacketizers share: a frame assembled in `buffer_` is written only if no packet
// of it was lost, and after a loss nothing is written until the next keyframe, which is asked for
// once per wait (the container must start on a keyframe, and a lost packet may belong to a
// reference frame).
class VideoDepacketizer : public Depacketizer {
 public:
  void OnLoss() override;
  bool waiting_for_keyframe() const override { return waiting_for_keyframe_; }

 protected:
  explicit VideoDepacketizer(Listener& listener) : listener_(listener) {}

  // Drops the frame being assembled (counted when one was under way).
  virtual void Discard();
  // Drops frames until a keyframe and asks for one, once per wait.
  void NeedKeyframe();
  // Writes `buffer_` as `frame_` (codec fields such as extradata set by the caller) unless a
  // keyframe is awaited and this is not one.
  void Emit(bool keyframe);

  Listener& listener_;
  bool assembling_ = false;
  EncodedFrame frame_;
  std::vector<uint8_t> buffer_;

 private:
  bool waiting_for_keyframe_ = true;
  bool requested_ = false;
};

}  // namespace mgw::rec
