#include "mgw/dp/receive_stats.h"

#include <algorithm>

namespace mgw::dp {
namespace {
constexpr uint32_t kSeqMod = 1u << 16;
}  // namespace

void ReceiveStats::Restart(uint16_t seq) {
  base_seq_ = seq;
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;  // so seq == bad_seq_ is false
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
  has_transit_ = false;
}

bool ReceiveStats::OnPacket(uint16_t seq, uint32_t rtp_timestamp, size_t bytes, uint64_t now_us) {
  ++packets_;
  bytes_ += bytes;
  last_packet_us_ = now_us;

  bool in_order = false;
  if (!started_) {
    started_ = true;
    Restart(seq);
    in_order = true;
  } else {
    const uint16_t udelta = static_cast<uint16_t>(seq - max_seq_);
    if (udelta < kMaxDropout) {
      if (seq < max_seq_) cycles_ += kSeqMod;  // wrapped
      max_seq_ = seq;
      in_order = udelta != 0;
    } else if (udelta <= kSeqMod - kMaxMisorder) {
      // A very large jump: believe it only when the next packet continues from here.
      if (seq != bad_seq_) {
        bad_seq_ = (seq + 1u) & (kSeqMod - 1);
        return false;
      }
      Restart(seq);
      in_order = true;
    }
    // else: duplicate or reordered within kMaxMisorder; counted as received.
  }
  ++received_;

  if (in_order) {
    // A.8 with arrival in timestamp units; only in-order packets, so retransmissions and
    // reordering do not inflate jitter.
    const auto arrival = static_cast<uint32_t>(MicrosToRtpUnits(now_us, clock_rate_));
    const int64_t transit = static_cast<int32_t>(arrival - rtp_timestamp);
    if (has_transit_) {
      int64_t d = transit - transit_;
      if (d < 0) d = -d;
      const int64_t next = static_cast<int64_t>(jitter_q4_) + d - ((jitter_q4_ + 8) >> 4);
      jitter_q4_ = static_cast<uint32_t>(std::clamp<int64_t>(next, 0, UINT32_MAX));
    }
    transit_ = transit;
    has_transit_ = true;
  }
  return true;
}

int64_t ReceiveStats::cumulative_lost() const {
  if (!started_) return 0;
  const int64_t expected = static_cast<int64_t>(extended_highest_seq()) - base_seq_ + 1;
  return expected - static_cast<int64_t>(received_);
}

ReportBlock ReceiveStats::MakeReportBlock(uint32_t ssrc, uint64_t now_us) {
  ReportBlock b;
  b.ssrc = ssrc;
  if (started_) {
    const uint64_t expected = static_cast<uint64_t>(extended_highest_seq()) - base_seq_ + 1;
    const int64_t expected_interval = static_cast<int64_t>(expected - expected_prior_);
    const int64_t received_interval = static_cast<int64_t>(received_ - received_prior_);
    expected_prior_ = expected;
    received_prior_ = received_;
    const int64_t lost_interval = expected_interval - received_interval;
    b.fraction_lost = (expected_interval == 0 || lost_interval <= 0)
                          ? 0
                          : static_cast<uint8_t>(
                                std::min<int64_t>((lost_interval << 8) / expected_interval, 255));
    b.cumulative_lost =
        static_cast<int32_t>(std::clamp<int64_t>(cumulative_lost(), -0x800000, 0x7FFFFF));
    b.extended_highest_seq = extended_highest_seq();
    b.jitter = jitter();
  }
  if (has_sr_) {
    b.last_sr = last_sr_;
    // DLSR in 1/65536 s.
    b.delay_since_last_sr =
        static_cast<uint32_t>((now_us - last_sr_arrival_us_) * 65536 / 1'000'000);
  }
  return b;
}

}  // namespace mgw::dp
