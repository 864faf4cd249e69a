#pragma once

// The crypto ceiling: libsrtp's own srtp_protect rate on one core for one suite and packet size,
// with the copy of the plain packet that any forwarder protecting per subscriber also makes.

#include <cstddef>

#include "dataplane_process.h"

namespace mgw::bench {

// Packets per second over about `seconds`.
double MeasureLibsrtpProtectRate(SrtpMode suite, size_t packet_size, double seconds);

}  // namespace mgw::bench
