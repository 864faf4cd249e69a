// SrtpSession protect and unprotect per suite at 200 and 1200 bytes (RTP), and SrtpSender's
// protect. Protect includes the
// copy of the plain packet into the output buffer, as on the Forwarder's SRTP path.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "bench_packets.h"
#include "mgw/dp/byte_order.h"
#include "mgw/dp/srtp_sender.h"
#include "mgw/dp/srtp_session.h"

namespace mgw::bench {
namespace {

std::vector<uint8_t> Key(dp::SrtpSuite suite) {
  return std::vector<uint8_t>(dp::SrtpSession::KeyMaterialSize(suite), 0x42);
}

void BM_SrtpProtect(benchmark::State& state) {
  const auto suite = static_cast<dp::SrtpSuite>(state.range(0));
  const auto size = static_cast<size_t>(state.range(1));
  dp::SrtpSession session(suite, dp::SrtpDirection::kOutbound, Key(suite));
  Bytes plain = MakeVp8Rtp(0x1111, 0, 0, size);
  std::vector<uint8_t> buffer(size + dp::kSrtpMaxOverhead);
  uint16_t seq = 0;
  for (auto _ : state) {
    dp::StoreBe16(plain.data() + 2, seq++);
    std::memcpy(buffer.data(), plain.data(), size);
    size_t n = size;
    benchmark::DoNotOptimize(session.ProtectRtp(buffer, &n));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}

// The dataplane's RTP sender on OpenSSL (dataplane.srtp_protect = "openssl"), the same work as
// BM_SrtpProtect.
void BM_SrtpSenderProtect(benchmark::State& state) {
  const auto suite = static_cast<dp::SrtpSuite>(state.range(0));
  const auto size = static_cast<size_t>(state.range(1));
  dp::SrtpSender sender(suite, Key(suite));
  dp::SrtpSendIndex index;
  Bytes plain = MakeVp8Rtp(0x1111, 0, 0, size);
  std::vector<uint8_t> buffer(size + dp::SrtpSender::TrailerSize(suite));
  uint16_t seq = 0;
  for (auto _ : state) {
    dp::StoreBe16(plain.data() + 2, seq++);
    std::memcpy(buffer.data(), plain.data(), size);
    size_t n = size;
    benchmark::DoNotOptimize(sender.ProtectRtp(buffer, &n, index));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}

// Unprotect needs a fresh sequence number each time (replay protection), so a ring of packets
// protected up front is replayed with increasing indexes, re-protected when the ring wraps.
void BM_SrtpUnprotect(benchmark::State& state) {
  const auto suite = static_cast<dp::SrtpSuite>(state.range(0));
  const auto size = static_cast<size_t>(state.range(1));
  constexpr size_t kRing = 4096;
  dp::SrtpSession sender(suite, dp::SrtpDirection::kOutbound, Key(suite));
  dp::SrtpSession receiver(suite, dp::SrtpDirection::kInbound, Key(suite));
  std::vector<std::vector<uint8_t>> ring(kRing, std::vector<uint8_t>(size + dp::kSrtpMaxOverhead));
  std::vector<size_t> sizes(kRing);
  std::vector<uint8_t> work(size + dp::kSrtpMaxOverhead);
  uint16_t seq = 0;
  auto refill = [&] {
    for (size_t i = 0; i < kRing; ++i) {
      Bytes plain = MakeVp8Rtp(0x1111, seq++, 0, size);
      std::memcpy(ring[i].data(), plain.data(), size);
      sizes[i] = size;
      sender.ProtectRtp(ring[i], &sizes[i]);
    }
  };
  refill();
  size_t next = 0;
  for (auto _ : state) {
    std::memcpy(work.data(), ring[next].data(), sizes[next]);
    size_t n = sizes[next];
    benchmark::DoNotOptimize(receiver.UnprotectRtp({work.data(), n}, &n));
    if (++next == kRing) {
      state.PauseTiming();
      refill();
      next = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
}

constexpr int kAesCm = static_cast<int>(dp::SrtpSuite::kAesCm128HmacSha1_80);
constexpr int kGcm = static_cast<int>(dp::SrtpSuite::kAeadAes128Gcm);
BENCHMARK(BM_SrtpProtect)->ArgsProduct({{kAesCm, kGcm}, {200, 1200}});
BENCHMARK(BM_SrtpSenderProtect)->ArgsProduct({{kAesCm, kGcm}, {200, 1200}});
BENCHMARK(BM_SrtpUnprotect)->ArgsProduct({{kAesCm, kGcm}, {200, 1200}});

}  // namespace
}  // namespace mgw::bench
