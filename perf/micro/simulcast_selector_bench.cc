// Simulcast encoding choice for one leg over three encodings, at varying requested bitrates.
#include <benchmark/benchmark.h>

#include <array>

#include "mgw/dp/simulcast_selector.h"

namespace mgw::bench {
namespace {

void BM_SimulcastSelect(benchmark::State& state) {
  const std::array<dp::EncodingChoice, 3> encodings{
      {{150'000, true}, {500'000, true}, {1'500'000, true}}};
  const std::array<uint32_t, 4> requests{100'000, 400'000, 900'000, 3'000'000};
  size_t next = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dp::SelectEncoding(encodings, requests[next]));
    next = (next + 1) & 3;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimulcastSelect);

}  // namespace
}  // namespace mgw::bench
