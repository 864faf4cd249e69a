// RTP demux and header parse (RtpPacket::Parse over a view), per packet.
#include <benchmark/benchmark.h>

#include "bench_packets.h"
#include "mgw/dp/packet_classifier.h"
#include "mgw/dp/rtp_packet.h"

namespace mgw::bench {
namespace {

void BM_RtpClassifyAndParse(benchmark::State& state) {
  Bytes packet = MakeVp8Rtp(0x1111, 1, 90000, static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(packet.data());
    bool rtp = dp::ClassifyPacket(packet) == dp::PacketKind::kRtp;
    auto parsed = dp::RtpPacket::Parse(packet.data(), packet.size());
    benchmark::DoNotOptimize(rtp);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RtpClassifyAndParse)->Arg(200)->Arg(1200);

}  // namespace
}  // namespace mgw::bench
