// The whole Forwarder::Process path for one ingress RTP packet fanned out to 1/4/16/49 subscriber
// legs: SSRC lookup, parse, address check, receive stats, NACK cache, per-leg rewrite into the
// batch (zero-copy outputs: a rewritten header plus the shared ingress payload). The SRTP variant
// protects every leg (each output is then a full copy encrypted in the arena).
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_packets.h"
#include "mgw/dp/byte_order.h"
#include "mgw/dp/forwarder.h"

namespace mgw::bench {
namespace {

constexpr uint32_t kPublisherSsrc = 0x1000;
constexpr dp::ParticipantId kPublisher = 1;

struct FanOut {
  explicit FanOut(int legs, int suite) : slots(64), arena(64 * 2048), batch(slots, arena) {
    forwarder.AddParticipant(VideoPublisher(kPublisher, kPublisherSsrc));
    forwarder.SetAddress(kPublisher, BenchAddress(1));
    for (int i = 0; i < legs; ++i) {
      const auto id = static_cast<dp::ParticipantId>(100 + i);
      forwarder.AddParticipant(Receiver(id));
      forwarder.SetAddress(id, BenchAddress(static_cast<uint32_t>(100 + i)));
      if (suite >= 0) {
        const auto s = static_cast<dp::SrtpSuite>(suite);
        std::vector<uint8_t> key(dp::SrtpSession::KeyMaterialSize(s), 0x42);
        forwarder.SetSrtpKeys(id, s, key, key);
      }
      dp::VideoSubscription sub;
      sub.requested_bitrate_bps = 2'000'000;
      sub.output_ssrc = 0x50000 + static_cast<uint32_t>(i);
      forwarder.Subscribe(id, kPublisher, sub);
    }
  }

  // One packet through Process; returns the outputs produced.
  size_t Step(Bytes& packet, uint16_t seq) {
    dp::StoreBe16(packet.data() + 2, seq);
    dp::StoreBe32(packet.data() + 4, seq * 3000u);
    now_us += 100;
    batch.Clear();
    forwarder.Process({packet, BenchAddress(1)}, now_us, batch);
    return batch.size();
  }

  dp::Forwarder forwarder;
  std::vector<dp::OutputPacket> slots;
  std::vector<uint8_t> arena;
  dp::OutputBatch batch;
  uint64_t now_us = 1'000'000;
};

void RunFanOut(benchmark::State& state, int suite) {
  const int legs = static_cast<int>(state.range(0));
  FanOut f(legs, suite);
  Bytes packet = MakeVp8Rtp(kPublisherSsrc, 0, 0, static_cast<size_t>(state.range(1)));
  uint16_t seq = 0;
  for (int i = 0; i < 8; ++i) f.Step(packet, seq++);  // activate the encoding, start every leg
  if (f.Step(packet, seq++) != static_cast<size_t>(legs)) {
    state.SkipWithError("the forwarder did not fan out to every leg");
    return;
  }
  size_t outputs = 0;
  for (auto _ : state) outputs += f.Step(packet, seq++);
  state.SetItemsProcessed(state.iterations());  // ingress packets
  state.counters["egress_per_s"] =
      benchmark::Counter(static_cast<double>(outputs), benchmark::Counter::kIsRate);
}

void BM_ForwarderFanOut(benchmark::State& state) { RunFanOut(state, -1); }
BENCHMARK(BM_ForwarderFanOut)->ArgsProduct({{1, 4, 16, 49}, {200, 1200}});

void BM_ForwarderFanOutAesCm(benchmark::State& state) {
  RunFanOut(state, static_cast<int>(dp::SrtpSuite::kAesCm128HmacSha1_80));
}
BENCHMARK(BM_ForwarderFanOutAesCm)->ArgsProduct({{16}, {200, 1200}});

void BM_ForwarderFanOutGcm(benchmark::State& state) {
  RunFanOut(state, static_cast<int>(dp::SrtpSuite::kAeadAes128Gcm));
}
BENCHMARK(BM_ForwarderFanOutGcm)->ArgsProduct({{16}, {200, 1200}});

}  // namespace
}  // namespace mgw::bench
