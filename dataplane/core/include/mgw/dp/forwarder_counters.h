#pragma once

// Per-worker event counters of a Forwarder (drops are in DropCounters). Written by the worker's
// core only; a metrics reader copies them between bursts and sums across workers.

#include <cstdint>

namespace mgw::dp {

struct alignas(64) ForwarderCounters {
  uint64_t rtp_received = 0;   // RTP packets that passed parsing, SRTP and latching
  uint64_t rtcp_received = 0;  // RTCP compounds that passed parsing, SRTP and latching
  uint64_t rtx_received = 0;   // RFC 4588 packets turned back into media
  uint64_t rtp_sent = 0;       // RTP outputs, retransmissions included
  uint64_t rtcp_sent = 0;      // RTCP outputs (forwarded SRs, our RRs, PLI/FIR upstream)

  uint64_t sender_reports_forwarded = 0;     // one per leg
  uint64_t receiver_reports_terminated = 0;  // RR packets from subscribers, consumed here
  uint64_t receiver_reports_sent = 0;        // our RRs to publishers
  uint64_t rtcp_consumed = 0;                // SDES, BYE, APP, REMB, XR and others, not routed

  uint64_t nacks_received = 0;
  uint64_t retransmissions_sent = 0;
  uint64_t keyframe_requests_received = 0;  // PLI and FIR entries from subscribers
  uint64_t keyframe_requests_sent = 0;      // PLI and FIR sent to publishers

  uint64_t addresses_latched = 0;
  uint64_t addresses_moved = 0;    // authenticated NAT rebindings
  uint64_t encoding_switches = 0;  // a leg moved to another encoding or feed at a keyframe
  uint64_t sequence_rebases = 0;   // a leg re-based its numbers on a sender restart (A.1)
};

}  // namespace mgw::dp
