// RTCP compound validation and walk (SR + PLI + NACK), per compound.
#include <benchmark/benchmark.h>

#include "bench_packets.h"
#include "mgw/dp/rtcp_packet.h"

namespace mgw::bench {
namespace {

void BM_RtcpCompoundParse(benchmark::State& state) {
  Bytes compound = MakeRtcpCompound(0x2222, 0x1111);
  size_t packets = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(compound.data());
    auto parsed = dp::RtcpCompound::Parse(compound);
    if (parsed) {
      for (auto view : *parsed) {
        benchmark::DoNotOptimize(view);
        ++packets;
      }
    }
  }
  benchmark::DoNotOptimize(packets);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RtcpCompoundParse);

}  // namespace
}  // namespace mgw::bench
