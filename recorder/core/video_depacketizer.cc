#include "mgw/rec/video_depacketizer.h"

namespace mgw::rec {

void VideoDepacketizer::OnLoss() {
  Discard();
  NeedKeyframe();
}

void VideoDepacketizer::Discard() {
  if (assembling_) ++stats_.frames_dropped;
  assembling_ = false;
  buffer_.clear();
}

void VideoDepacketizer::NeedKeyframe() {
  waiting_for_keyframe_ = true;
  if (requested_) return;
  requested_ = true;
  ++stats_.keyframe_requests;
  listener_.OnKeyframeNeeded();
}

void VideoDepacketizer::Emit(bool keyframe) {
  if (keyframe) {
    waiting_for_keyframe_ = false;
    requested_ = false;
    ++stats_.keyframes;
  } else if (waiting_for_keyframe_) {
    ++stats_.frames_dropped;
    NeedKeyframe();
    return;
  }
  frame_.keyframe = keyframe;
  frame_.data = buffer_;
  ++stats_.frames;
  listener_.OnFrame(frame_);
}

}  // namespace mgw::rec
