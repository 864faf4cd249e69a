#pragma once

// The recorder's notion of "now": a steady clock value always passed in by the caller, so every
// timing rule (reorder window, header wait, keyframe request interval) is tested without sleeping.

#include <chrono>

namespace mgw::rec {

using MediaClock = std::chrono::steady_clock;
using TimePoint = MediaClock::time_point;

}  // namespace mgw::rec
