// Ingress lookups on the packet path at 10 / 1,000 / 100,000 entries: SSRC -> publisher stream
// (StreamTable), publisher stream -> legs (SubscriptionTable::LegsOf) and (subscriber, output
// SSRC) -> leg (SubscriptionTable::Find, used by subscriber feedback). Keys are visited in a
// shuffled order so large tables pay their cache misses as on a real host.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "bench_packets.h"
#include "mgw/dp/stream_table.h"
#include "mgw/dp/subscription_table.h"

namespace mgw::bench {
namespace {

constexpr uint32_t kSsrcBase = 0x10000;

std::vector<uint32_t> ShuffledIndexes(size_t n) {
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(42));
  return order;
}

void BM_StreamLookup(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  dp::StreamTableConfig config;
  config.max_streams = n;
  config.max_ssrcs = 2 * n;
  dp::StreamTable table(config);
  for (uint32_t i = 0; i < n; ++i) {
    dp::SourceConfig source;
    source.clock_rate = 48000;
    source.encodings[0].ssrc = kSsrcBase + i;
    source.encoding_count = 1;
    table.Add(i, dp::MediaKind::kAudio, source);
  }
  std::vector<uint32_t> order = ShuffledIndexes(n);
  size_t next = 0;
  for (auto _ : state) {
    const dp::SsrcBinding* binding = table.Lookup(kSsrcBase + order[next]);
    benchmark::DoNotOptimize(binding->stream);
    if (++next == n) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StreamLookup)->Arg(10)->Arg(1000)->Arg(100000);

// n legs over n/16 streams (fan-out 16), each leg its own subscriber.
dp::SubscriptionTable MakeLegs(uint32_t n) {
  dp::SubscriptionTable table(n);
  for (uint32_t i = 0; i < n; ++i) {
    dp::Leg leg;
    leg.subscriber = i;
    leg.stream = i / 16;
    leg.kind = dp::MediaKind::kVideo;
    leg.rewriter = dp::LegRewriter(kSsrcBase + i);
    table.Add(leg);
  }
  return table;
}

void BM_SubscriptionFind(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  dp::SubscriptionTable table = MakeLegs(n);
  std::vector<uint32_t> order = ShuffledIndexes(n);
  size_t next = 0;
  for (auto _ : state) {
    const uint32_t i = order[next];
    benchmark::DoNotOptimize(table.Find(i, kSsrcBase + i));
    if (++next == n) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubscriptionFind)->Arg(10)->Arg(1000)->Arg(100000);

void BM_SubscriptionLegsOf(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  dp::SubscriptionTable table = MakeLegs(n);
  const uint32_t streams = (n + 15) / 16;
  std::vector<uint32_t> order = ShuffledIndexes(streams);
  size_t next = 0;
  for (auto _ : state) {
    uint32_t sum = 0;
    for (dp::LegId id : table.LegsOf(order[next])) sum += table.at(id).subscriber;
    benchmark::DoNotOptimize(sum);
    if (++next == streams) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubscriptionLegsOf)->Arg(10)->Arg(1000)->Arg(100000);

}  // namespace
}  // namespace mgw::bench
