// Per-leg header rewrite: LegRewriter::Rewrite (seq/timestamp offsets) plus writing the rewritten
// fields into a copy of the 12-byte header, as the Forwarder does once per subscriber.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>

#include "bench_packets.h"
#include "mgw/dp/leg_rewriter.h"
#include "mgw/dp/rtp_packet.h"

namespace mgw::bench {
namespace {

void BM_LegRewrite(benchmark::State& state) {
  dp::LegRewriter rewriter(0xABCD);
  rewriter.SetTarget(0);
  Bytes packet = MakeVp8Rtp(0x1111, 0, 0, 200);
  std::array<uint8_t, 16> head{};
  dp::RewriteInput in;
  in.keyframe_start = true;
  in.clock_rate = 90000;
  for (auto _ : state) {
    ++in.sequence_number;
    in.timestamp += 3000;
    in.now_us += 33'000;
    dp::RewriteResult out = rewriter.Rewrite(in);
    std::memcpy(head.data(), packet.data(), dp::kRtpFixedHeaderSize);
    dp::WriteRtpHeaderFields(head.data(), {rewriter.output_ssrc(), out.sequence_number,
                                           out.timestamp, rewriter.MapPayloadType(96)});
    benchmark::DoNotOptimize(head.data());
    in.keyframe_start = false;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LegRewrite);

}  // namespace
}  // namespace mgw::bench
