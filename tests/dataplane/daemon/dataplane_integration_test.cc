// End to end: a real mgw-dataplane process per backend (posix, uring, dpdk on net_af_packet),
// programmed over its control socket, with participants as kernel UDP sockets in a network
// namespace on the other side of a veth pair (see README.md). Needs root; a backend that cannot
// start fails its tests, never skips them.

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"

namespace mgw::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using control::AddParticipant;
using control::SrtpSuite;

constexpr auto kDeadline = 5s;
constexpr uint8_t kVideoPt = 96;

// Every test of a suite shares one dataplane, so SSRCs and names must not repeat.
uint32_t NextSsrc() {
  static uint32_t next = 0x10000;
  return next += 16;
}

AddParticipant Member(const std::string& name, const std::string& meeting, uint32_t audio_ssrc,
                      const std::optional<std::string>& address = std::nullopt) {
  AddParticipant add;
  add.participant = name;
  add.meeting = meeting;
  add.address = address;
  add.audio = control::AudioSpec{audio_ssrc, 111, 48000, "opus"};
  return add;
}

AddParticipant VideoPublisher(const std::string& name, const std::string& meeting, Codec codec,
                              const std::vector<uint32_t>& ssrcs,
                              const std::optional<std::string>& address = std::nullopt) {
  AddParticipant add = Member(name, meeting, ssrcs.front() + 8, address);
  control::VideoSpec video;
  video.codec = codec == Codec::kVp8 ? "vp8" : "h264";
  video.payload_type = kVideoPt;
  const uint64_t bitrates[] = {150'000, 500'000, 1'500'000};
  for (size_t i = 0; i < ssrcs.size(); ++i) {
    video.encodings.push_back(
        {ssrcs[i], std::nullopt, ssrcs.size() == 1 ? 1'000'000 : bitrates[i]});
  }
  add.video = video;
  return add;
}

// One RTP source: sequence numbers and timestamps advance per packet.
class VideoSource {
 public:
  VideoSource(Peer& peer, Codec codec, uint32_t ssrc, uint16_t first_seq = 1000)
      : peer_(peer), codec_(codec), ssrc_(ssrc), seq_(first_seq), ts_(ssrc * 7) {}

  // Sends one packet tagged `tag`; returns what went on the wire (before any SRTP).
  Rtp Send(bool keyframe, uint32_t tag, bool with_extension = false, SrtpContext* srtp = nullptr) {
    Rtp rtp = Make(keyframe, tag, with_extension);
    Bytes wire = BuildRtp(rtp);
    if (srtp != nullptr) wire = srtp->ProtectRtp(wire);
    EXPECT_TRUE(peer_.Send(wire));
    return rtp;
  }
  Rtp Make(bool keyframe, uint32_t tag, bool with_extension = false) {
    Rtp rtp;
    rtp.pt = kVideoPt;
    rtp.ssrc = ssrc_;
    rtp.seq = seq_++;
    rtp.ts = ts_;
    rtp.marker = tag % 3 == 2;  // a frame every three packets
    if (rtp.marker) ts_ += 3000;
    if (with_extension) {
      // RFC 8285 one-byte header: id 1, 2 bytes (e.g. audio level), padded to a word.
      rtp.extension = {0xBE, 0xDE, 0x00, 0x01, 0x11, static_cast<uint8_t>(tag), 0x55, 0x00};
    }
    rtp.payload = VideoPayload(codec_, keyframe, tag, 100 + (tag * 37) % 900);
    return rtp;
  }
  uint32_t ssrc() const { return ssrc_; }

 private:
  Peer& peer_;
  Codec codec_;
  uint32_t ssrc_;
  uint16_t seq_;
  uint32_t ts_;
};

// RTP received by `peer` until `last` matches one (included) or the deadline passes.
std::vector<Rtp> ReceiveUntil(Peer& peer, const std::function<bool(const Rtp&)>& last,
                              SrtpContext* srtp = nullptr,
                              std::chrono::milliseconds timeout = kDeadline) {
  std::vector<Rtp> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return out;
    std::optional<Bytes> got = peer.Receive(left);
    if (!got) return out;
    if (IsRtcp(*got)) continue;
    if (srtp != nullptr) {
      got = srtp->UnprotectRtp(*got);
      EXPECT_TRUE(got.has_value()) << "a forwarded packet failed SRTP authentication";
      if (!got) continue;
    }
    std::optional<Rtp> rtp = ParseRtp(*got);
    if (!rtp) continue;
    out.push_back(*rtp);
    if (last(out.back())) return out;
  }
}

std::function<bool(const Rtp&)> TagIs(Codec codec, uint32_t tag) {
  return [codec, tag](const Rtp& r) { return PayloadTag(codec, r.payload) == tag; };
}

// Forwarded copies of `sent` as `received`: same payload, marker, extension and PT; the output
// SSRC; continuous sequence numbers; timestamps moved by one constant.
void ExpectForwardedCopies(const std::vector<Rtp>& sent, const std::vector<Rtp>& received,
                           uint32_t output_ssrc, const std::string& who) {
  SCOPED_TRACE(who);
  ASSERT_EQ(received.size(), sent.size()) << "every packet exactly once";
  for (size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE("packet " + std::to_string(i));
    EXPECT_EQ(received[i].payload, sent[i].payload);
    EXPECT_EQ(received[i].extension, sent[i].extension);
    EXPECT_EQ(received[i].marker, sent[i].marker);
    EXPECT_EQ(received[i].pt, kVideoPt);
    EXPECT_EQ(received[i].ssrc, output_ssrc);
    if (i > 0) {
      EXPECT_EQ(static_cast<uint16_t>(received[i].seq - received[i - 1].seq), 1);
      EXPECT_EQ(received[i].ts - received[0].ts, sent[i].ts - sent[0].ts);
    }
  }
}

std::vector<uint32_t> ReceivePliMediaSsrcs(Peer& publisher, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::optional<Bytes> got = publisher.Receive(std::max(left, 1ms));
    if (!got) break;
    if (!IsRtcp(*got)) continue;
    std::vector<uint32_t> ssrcs = PliMediaSsrcs(*got);
    if (!ssrcs.empty()) return ssrcs;
  }
  return {};
}

void Drain(Peer& peer) {
  while (peer.Receive(0ms)) {
  }
}

// ---- Backends ----

struct Posix {
  static constexpr BackendSpec kSpec{"posix", 1};
};
struct Uring {
  static constexpr BackendSpec kSpec{"uring", 1};
};
struct Dpdk {
  static constexpr BackendSpec kSpec{"dpdk", 1};
};
struct PosixTwoWorkers {
  static constexpr BackendSpec kSpec{"posix", 2};
};
struct UringTwoWorkers {
  static constexpr BackendSpec kSpec{"uring", 2};
};

class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::string(T::kSpec.backend) + "_" + std::to_string(T::kSpec.workers) + "w";
  }
};

template <typename B>
class DataplaneTest : public ::testing::Test {
 protected:
  // Exceptions here would skip the tests; they must fail instead (SetUp checks ok()).
  static void SetUpTestSuite() { env_ = new DataplaneEnv(B::kSpec); }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(env_->ok()) << env_->error(); }
  void TearDown() override {
    if (!HasFailure() || !env_->ok()) return;
    std::cerr << "mgw-dataplane output:\n" << env_->daemon_output() << "\n";
    std::istringstream metrics(env_->Metrics());
    for (std::string line; std::getline(metrics, line);) {
      if (line[0] != '#' && line.substr(line.rfind(' ') + 1) != "0") std::cerr << line << "\n";
    }
  }

  DataplaneEnv& env() { return *env_; }
  // Adds `n` receive-side members; even ones get their address signalled, odd ones latch it
  // from an RTCP receiver report they send first.
  std::vector<std::unique_ptr<Peer>> AddSubscribers(const std::string& prefix,
                                                    const std::string& meeting, size_t n,
                                                    bool latch_some = true) {
    std::vector<std::unique_ptr<Peer>> peers;
    for (size_t i = 0; i < n; ++i) {
      peers.push_back(env().MakePeer());
      const bool latched = latch_some && i % 2 == 1;
      const uint32_t ssrc = NextSsrc();
      std::optional<std::string> address;
      if (!latched) address = peers.back()->address();
      env().Call(Member(prefix + std::to_string(i), meeting, ssrc, address));
      if (latched) {
        EXPECT_TRUE(peers.back()->Send(ReceiverReport(ssrc)));
        EXPECT_TRUE(
            env().WaitForAddress(prefix + std::to_string(i), peers.back()->address(), kDeadline))
            << "address of " << prefix << i << " not latched";
      }
    }
    return peers;
  }

  static DataplaneEnv* env_;
};
template <typename B>
DataplaneEnv* DataplaneTest<B>::env_ = nullptr;

using SingleWorkerBackends = ::testing::Types<Posix, Uring, Dpdk>;
TYPED_TEST_SUITE(DataplaneTest, SingleWorkerBackends, BackendNames);

// 1. One publisher, 1, 4 and 49 subscribers: each gets every packet exactly once.
TYPED_TEST(DataplaneTest, FanOutToOneFourAndFortyNineSubscribers) {
  for (size_t n : {1, 4, 49}) {
    SCOPED_TRACE(std::to_string(n) + " subscribers");
    const std::string meeting = "fan" + std::to_string(n);
    auto pub_peer = this->env().MakePeer();
    const uint32_t ssrc = NextSsrc();
    // The publisher's address is latched from its first packet.
    this->env().Call(VideoPublisher(meeting + "-pub", meeting, Codec::kVp8, {ssrc}));
    auto subs = this->AddSubscribers(meeting + "-sub", meeting, n);
    for (size_t i = 0; i < n; ++i) {
      this->env().Call(
          control::Subscribe{meeting + "-sub" + std::to_string(i), meeting + "-pub", 1'000'000});
    }
    VideoSource source(*pub_peer, Codec::kVp8, ssrc);
    std::vector<Rtp> sent;
    constexpr uint32_t kPackets = 30;
    for (uint32_t t = 0; t < kPackets; ++t) sent.push_back(source.Send(t == 0, t, t % 3 == 0));
    for (size_t i = 0; i < n; ++i) {
      std::vector<Rtp> got = ReceiveUntil(*subs[i], TagIs(Codec::kVp8, kPackets - 1));
      ExpectForwardedCopies(sent, got, ssrc, "subscriber " + std::to_string(i));
    }
    // A duplicate of the last packet would arrive before this one.
    sent.push_back(source.Send(false, kPackets));
    for (size_t i = 0; i < n; ++i) {
      std::vector<Rtp> got = ReceiveUntil(*subs[i], TagIs(Codec::kVp8, kPackets));
      ASSERT_EQ(got.size(), 1u) << "subscriber " << i;
    }
    json::object stats = this->env().Stats(meeting + "-sub0");
    const json::array& legs = stats.at("participants").as_array().at(0).at("legs").as_array();
    bool found = false;
    for (const json::value& leg : legs) {
      if (leg.at("kind") != "video") continue;
      found = true;
      EXPECT_EQ(leg.at("packets").to_number<uint64_t>(), kPackets + 1);
    }
    EXPECT_TRUE(found) << json::serialize(stats);
    this->env().Call(control::RemoveMeeting{meeting});
  }
}

// 1b. Commands sent without waiting (the way the control plane re-programs a restarted
// dataplane, and mgw-bench programs 10,000 publishers) are applied as batches: more than one
// batch's worth, with a failing command in the middle, each answered in order, the failure alone
// refused, and every change in force once its answer is in.
TYPED_TEST(DataplaneTest, PipelinedCommandsAreAnsweredInOrderAndInForce) {
  const std::string meeting = "pipe";
  auto pub_peer = this->env().MakePeer();
  const uint32_t ssrc = NextSsrc();
  constexpr size_t kSubscribers = 150;
  constexpr size_t kWithPeers = 3;
  std::vector<std::unique_ptr<Peer>> peers;
  std::vector<control::Command> commands;
  commands.push_back(VideoPublisher("pipe-pub", meeting, Codec::kVp8, {ssrc}));
  for (size_t i = 0; i < kSubscribers; ++i) {
    std::optional<std::string> address;
    if (i < kWithPeers) {
      peers.push_back(this->env().MakePeer());
      address = peers.back()->address();
    }
    commands.push_back(Member("pipe-sub" + std::to_string(i), meeting, NextSsrc(), address));
  }
  for (size_t i = 0; i < kSubscribers; ++i) {
    if (i == kSubscribers / 2) commands.push_back(control::Subscribe{"nobody", "pipe-pub", 1});
    commands.push_back(control::Subscribe{"pipe-sub" + std::to_string(i), "pipe-pub", 1'000'000});
  }
  ASSERT_GT(commands.size(), 256u);  // more than one window of the client and batch of the server
  try {
    this->env().CallAll(commands);
    ADD_FAILURE() << "the subscribe of an unknown participant was accepted";
  } catch (const control::ControlCallError& e) {
    EXPECT_EQ(e.error().code, control::ErrorCode::kNotFound) << e.what();
  }
  VideoSource source(*pub_peer, Codec::kVp8, ssrc);
  const Rtp sent = source.Send(true, 0);
  for (size_t i = 0; i < kWithPeers; ++i) {
    std::vector<Rtp> got = ReceiveUntil(*peers[i], TagIs(Codec::kVp8, 0));
    ASSERT_EQ(got.size(), 1u) << "subscriber " << i;
  }
  for (size_t i : {size_t{0}, kSubscribers / 2, kSubscribers - 1}) {
    json::object stats = this->env().Stats("pipe-sub" + std::to_string(i));
    const json::array& legs = stats.at("participants").as_array().at(0).at("legs").as_array();
    size_t video = 0;
    for (const json::value& leg : legs) video += leg.at("kind") == "video" ? 1 : 0;
    EXPECT_EQ(video, 1u) << "subscriber " << i << ": " << json::serialize(stats);
  }
  this->env().Call(control::RemoveMeeting{meeting});
}

// 2. SRTP both ways with libsrtp on the participants' side; a tampered packet is counted.
TYPED_TEST(DataplaneTest, SrtpEndToEndAndTamperedPacketCounted) {
  for (SrtpSuite suite : {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAeadAes128Gcm}) {
    const std::string meeting = std::string("srtp-") + std::string(control::ToString(suite));
    SCOPED_TRACE(meeting);
    auto pub_peer = this->env().MakePeer();
    const uint32_t ssrc = NextSsrc();
    AddParticipant pub = VideoPublisher(meeting + "-pub", meeting, Codec::kVp8, {ssrc});
    const Bytes pub_rx = RandomKey(suite, 1), pub_tx = RandomKey(suite, 2);
    pub.srtp = control::SrtpKeys{suite, pub_rx, pub_tx};
    this->env().Call(pub);

    std::vector<std::unique_ptr<Peer>> subs;
    std::vector<std::unique_ptr<SrtpContext>> sub_in;
    for (int i = 0; i < 2; ++i) {
      subs.push_back(this->env().MakePeer());
      const std::string name = meeting + "-sub" + std::to_string(i);
      const uint32_t sub_ssrc = NextSsrc();
      const Bytes rx = RandomKey(suite, static_cast<uint8_t>(10 + i));
      const Bytes tx = RandomKey(suite, static_cast<uint8_t>(20 + i));
      AddParticipant add = Member(name, meeting, sub_ssrc);
      add.srtp = control::SrtpKeys{suite, rx, tx};
      if (i == 0) add.address = subs.back()->address();  // the other one latches (SRTCP)
      this->env().Call(add);
      if (i == 1) {
        SrtpContext out(suite, rx, true);
        ASSERT_TRUE(out.ok());
        ASSERT_TRUE(subs.back()->Send(out.ProtectRtcp(ReceiverReport(sub_ssrc))));
        ASSERT_TRUE(this->env().WaitForAddress(name, subs.back()->address(), kDeadline));
      }
      sub_in.push_back(std::make_unique<SrtpContext>(suite, tx, false));
      ASSERT_TRUE(sub_in.back()->ok());
      this->env().Call(control::Subscribe{name, meeting + "-pub", 1'000'000});
    }

    const uint64_t auth_fail_stats = this->env().Drops("srtp_auth_fail");
    const double auth_fail_metric =
        this->env().MetricSum("mgw_dataplane_drops_total", "reason=\"srtp_auth_fail\"");
    SrtpContext protect(suite, pub_rx, true);
    ASSERT_TRUE(protect.ok());
    VideoSource source(*pub_peer, Codec::kVp8, ssrc);
    std::vector<Rtp> sent;
    for (uint32_t t = 0; t < 10; ++t) sent.push_back(source.Send(t == 0, t, t == 4, &protect));
    // A tampered packet: one bit of the authentication tag flipped.
    Bytes tampered = protect.ProtectRtp(BuildRtp(source.Make(false, 999)));
    tampered.back() ^= 0x01;
    ASSERT_TRUE(pub_peer->Send(tampered));
    for (uint32_t t = 10; t < 20; ++t) sent.push_back(source.Send(false, t, false, &protect));
    for (size_t i = 0; i < subs.size(); ++i) {
      std::vector<Rtp> got = ReceiveUntil(*subs[i], TagIs(Codec::kVp8, 19), sub_in[i].get());
      ASSERT_EQ(got.size(), sent.size()) << "subscriber " << i;
      for (size_t k = 0; k < got.size(); ++k) {
        EXPECT_EQ(got[k].payload, sent[k].payload) << "subscriber " << i << " packet " << k;
        EXPECT_EQ(got[k].ssrc, ssrc);
        // The tampered packet is a gap for the subscribers too (they may NACK it).
        if (k > 0) {
          EXPECT_EQ(static_cast<uint16_t>(got[k].seq - got[k - 1].seq), k == 10 ? 2 : 1);
        }
      }
    }
    EXPECT_EQ(this->env().Drops("srtp_auth_fail"), auth_fail_stats + 1);
    EXPECT_EQ(this->env().MetricSum("mgw_dataplane_drops_total", "reason=\"srtp_auth_fail\""),
              auth_fail_metric + 1);
    this->env().Call(control::RemoveMeeting{meeting});
  }
}

// 3. A NACK from a subscriber is answered from the cache: plain retransmission when the feed was
// subscribed without RTX.
TYPED_TEST(DataplaneTest, NackGetsRetransmission) {
  const std::string meeting = "nack";
  auto pub_peer = this->env().MakePeer();
  const uint32_t ssrc = NextSsrc();
  this->env().Call(VideoPublisher("nack-pub", meeting, Codec::kVp8, {ssrc}, pub_peer->address()));
  auto subs = this->AddSubscribers("nack-sub", meeting, 1);
  this->env().Call(control::Subscribe{"nack-sub0", "nack-pub", 1'000'000});
  VideoSource source(*pub_peer, Codec::kVp8, ssrc);
  for (uint32_t t = 0; t < 10; ++t) source.Send(t == 0, t);
  std::vector<Rtp> got = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 9));
  ASSERT_EQ(got.size(), 10u);

  const double retransmissions = this->env().MetricSum("mgw_dataplane_retransmissions_sent_total");
  // Lost: the 5th and (BLP bit 1) the 7th packet as the subscriber numbered them. The sender
  // SSRC is one nobody signalled: receive-only endpoints are found by their address.
  const uint32_t sender = NextSsrc();
  ASSERT_TRUE(subs[0]->Send(Nack(sender, got[4].ssrc, got[4].seq, 0x0002)));
  std::vector<Rtp> again = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 6));
  ASSERT_EQ(again.size(), 2u);
  for (const auto& [retransmitted, original] : {std::pair{again[0], got[4]}, {again[1], got[6]}}) {
    EXPECT_EQ(retransmitted.seq, original.seq);
    EXPECT_EQ(retransmitted.ts, original.ts);
    EXPECT_EQ(retransmitted.ssrc, original.ssrc);
    EXPECT_EQ(retransmitted.pt, original.pt);
    EXPECT_EQ(retransmitted.payload, original.payload);
  }
  EXPECT_EQ(this->env().MetricSum("mgw_dataplane_retransmissions_sent_total"), retransmissions + 2);
  this->env().Call(control::RemoveMeeting{meeting});
}

// 3b. With RTX negotiated for the feed, the answer comes on the RTX stream (RFC 4588): its own
// SSRC and payload type, the original sequence number in the first two payload bytes, then the
// original payload.
TYPED_TEST(DataplaneTest, NackGetsRtxWhenNegotiated) {
  const std::string meeting = "rtx";
  auto pub_peer = this->env().MakePeer();
  const uint32_t ssrc = NextSsrc();
  const uint32_t rtx_ssrc = NextSsrc();
  constexpr uint8_t kRtxPt = 97;
  this->env().Call(VideoPublisher("rtx-pub", meeting, Codec::kVp8, {ssrc}, pub_peer->address()));
  auto subs = this->AddSubscribers("rtx-sub", meeting, 1);
  control::Subscribe subscribe{"rtx-sub0", "rtx-pub", 1'000'000};
  subscribe.rtx_ssrc = rtx_ssrc;
  subscribe.rtx_payload_type = kRtxPt;
  this->env().Call(subscribe);
  VideoSource source(*pub_peer, Codec::kVp8, ssrc);
  for (uint32_t t = 0; t < 10; ++t) source.Send(t == 0, t);
  std::vector<Rtp> got = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 9));
  ASSERT_EQ(got.size(), 10u);

  ASSERT_TRUE(subs[0]->Send(Nack(NextSsrc(), got[4].ssrc, got[4].seq, 0x0000)));
  std::vector<Rtp> rtx = ReceiveUntil(*subs[0], [&](const Rtp& r) { return r.ssrc == rtx_ssrc; });
  ASSERT_FALSE(rtx.empty());
  const Rtp& answer = rtx.back();
  EXPECT_EQ(answer.ssrc, rtx_ssrc);
  EXPECT_EQ(answer.pt, kRtxPt);
  EXPECT_EQ(answer.ts, got[4].ts);
  ASSERT_EQ(answer.payload.size(), got[4].payload.size() + 2);
  EXPECT_EQ((answer.payload[0] << 8) | answer.payload[1], got[4].seq);  // OSN
  EXPECT_TRUE(std::equal(got[4].payload.begin(), got[4].payload.end(), answer.payload.begin() + 2));
  // Subscribing again with another RTX stream is refused and changes nothing.
  subscribe.rtx_ssrc = NextSsrc();
  EXPECT_THROW(this->env().Call(subscribe), control::ControlCallError);
  this->env().Call(control::RemoveMeeting{meeting});
}

// 4. A PLI from a subscriber reaches the publisher, for the encoding the subscriber receives.
TYPED_TEST(DataplaneTest, PliReachesPublisherRewrittenToItsEncoding) {
  const std::string meeting = "pli";
  auto pub_peer = this->env().MakePeer();
  const std::vector<uint32_t> ssrcs = {NextSsrc(), NextSsrc(), NextSsrc()};
  this->env().Call(VideoPublisher("pli-pub", meeting, Codec::kVp8, ssrcs, pub_peer->address()));
  auto subs = this->AddSubscribers("pli-sub", meeting, 1);
  std::vector<std::unique_ptr<VideoSource>> sources;
  for (uint32_t s : ssrcs)
    sources.push_back(std::make_unique<VideoSource>(*pub_peer, Codec::kVp8, s));
  // Every encoding active (a packet seen) before anyone subscribes.
  for (size_t e = 0; e < 3; ++e) sources[e]->Send(false, static_cast<uint32_t>(e));
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (this->env().MetricSum("mgw_dataplane_stream_packets_total", "pli-pub") < 3 &&
         std::chrono::steady_clock::now() < deadline) {
  }
  this->env().Call(control::Subscribe{"pli-sub0", "pli-pub", 2'000'000});
  // Subscribing asks the publisher for a keyframe of the encoding that fits 2 Mbit/s.
  std::vector<uint32_t> asked = ReceivePliMediaSsrcs(*pub_peer, kDeadline);
  ASSERT_EQ(asked, std::vector<uint32_t>{ssrcs[2]});
  for (uint32_t t = 1; t < 4; ++t) {
    for (size_t e = 0; e < 3; ++e) sources[e]->Send(t == 1, static_cast<uint32_t>(t * 10 + e));
  }
  std::vector<Rtp> got = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 32));
  ASSERT_EQ(got.size(), 3u) << "only the top encoding";
  const uint32_t output_ssrc = got[0].ssrc;
  EXPECT_EQ(output_ssrc, ssrcs[0]);  // the publisher's first encoding SSRC, by default

  Drain(*pub_peer);
  const double received = this->env().MetricSum("mgw_dataplane_keyframe_requests_received_total");
  ASSERT_TRUE(subs[0]->Send(Pli(NextSsrc(), output_ssrc)));
  asked = ReceivePliMediaSsrcs(*pub_peer, kDeadline);
  EXPECT_EQ(asked, std::vector<uint32_t>{ssrcs[2]}) << "PLI for the encoding being forwarded";
  EXPECT_EQ(this->env().MetricSum("mgw_dataplane_keyframe_requests_received_total"), received + 1);
  this->env().Call(control::RemoveMeeting{meeting});
}

// 5. Simulcast: raising and lowering the bitrate switches encodings at keyframes, and the
// subscriber sees one continuous stream.
TYPED_TEST(DataplaneTest, SimulcastSwitchLandsOnKeyframe) {
  const std::string meeting = "simulcast";
  auto pub_peer = this->env().MakePeer();
  const std::vector<uint32_t> ssrcs = {NextSsrc(), NextSsrc(), NextSsrc()};
  this->env().Call(VideoPublisher("sim-pub", meeting, Codec::kVp8, ssrcs, pub_peer->address()));
  auto subs = this->AddSubscribers("sim-sub", meeting, 1);
  this->env().Call(control::Subscribe{"sim-sub0", "sim-pub", 200'000});
  std::vector<std::unique_ptr<VideoSource>> sources;
  for (uint32_t s : ssrcs)
    sources.push_back(std::make_unique<VideoSource>(*pub_peer, Codec::kVp8, s));
  // Step t sends one packet per encoding, tagged t*10 + encoding.
  auto step = [&](uint32_t t, int keyframe_encoding) {
    for (size_t e = 0; e < 3; ++e) {
      sources[e]->Send(t == 0 || static_cast<int>(e) == keyframe_encoding,
                       static_cast<uint32_t>(t * 10 + e));
    }
  };
  std::vector<uint32_t> expected;  // tags the subscriber should see
  for (uint32_t t = 0; t < 5; ++t) step(t, -1), expected.push_back(t * 10);
  std::vector<Rtp> got = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 40));
  this->env().Call(control::Subscribe{"sim-sub0", "sim-pub", 2'000'000});
  // Until encoding 2 has a keyframe, encoding 0 continues.
  for (uint32_t t = 5; t < 8; ++t) step(t, -1), expected.push_back(t * 10);
  // Step 8 sends encoding 0 before encoding 2's keyframe, so that packet still goes out.
  step(8, 2);
  expected.insert(expected.end(), {80, 82});
  for (uint32_t t = 9; t < 12; ++t) step(t, -1), expected.push_back(t * 10 + 2);
  std::vector<Rtp> more = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 112));
  got.insert(got.end(), more.begin(), more.end());
  this->env().Call(control::Subscribe{"sim-sub0", "sim-pub", 200'000});
  for (uint32_t t = 12; t < 14; ++t) step(t, -1), expected.push_back(t * 10 + 2);
  for (uint32_t t = 14; t < 18; ++t) step(t, t == 14 ? 0 : -1), expected.push_back(t * 10);
  more = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 170));
  got.insert(got.end(), more.begin(), more.end());

  std::vector<uint32_t> tags;
  for (const Rtp& r : got) tags.push_back(PayloadTag(Codec::kVp8, r.payload).value_or(~0u));
  ASSERT_EQ(tags, expected);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].ssrc, ssrcs[0]);
    if (i == 0) continue;
    EXPECT_EQ(static_cast<uint16_t>(got[i].seq - got[i - 1].seq), 1) << "packet " << i;
    EXPECT_GE(static_cast<int32_t>(got[i].ts - got[i - 1].ts), 0) << "packet " << i;
    if (tags[i] % 10 != tags[i - 1] % 10) {
      EXPECT_TRUE(IsKeyframePayload(Codec::kVp8, got[i].payload)) << "switch at packet " << i;
    }
  }
  this->env().Call(control::RemoveMeeting{meeting});
}

// 6. Malformed input is dropped, counted by reason, and forwarding goes on.
TYPED_TEST(DataplaneTest, MalformedInputDroppedAndCountedByReason) {
  const std::string meeting = "malformed";
  auto pub_peer = this->env().MakePeer();
  const uint32_t ssrc = NextSsrc();
  this->env().Call(VideoPublisher("bad-pub", meeting, Codec::kVp8, {ssrc}, pub_peer->address()));
  auto subs = this->AddSubscribers("bad-sub", meeting, 1);
  this->env().Call(control::Subscribe{"bad-sub0", "bad-pub", 1'000'000});
  VideoSource source(*pub_peer, Codec::kVp8, ssrc);
  std::vector<Rtp> sent = {source.Send(true, 0)};
  ASSERT_EQ(ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 0)).size(), 1u);

  const std::vector<std::string> reasons = {
      "short_header",  "bad_version",        "not_rtp_or_rtcp", "unknown_ssrc",
      "csrc_past_end", "extension_past_end", "bad_padding",     "rtcp_compound_error"};
  const json::object before = this->env().Stats().at("drops").as_object();
  Bytes valid = BuildRtp(source.Make(false, 1));
  std::vector<Bytes> bad;
  bad.push_back({0x80});                                            // short_header
  bad.push_back({0x80, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00});  // short_header
  Bytes version1 = valid;
  version1[0] = 0x40;  // version 1
  bad.push_back(version1);
  Bytes unknown = valid;
  unknown[8] ^= 0xFF;  // an SSRC nobody signalled
  bad.push_back(unknown);
  Bytes csrc(valid.begin(), valid.begin() + 20);
  csrc[0] = 0x8F;  // 15 CSRCs announced, 2 present
  bad.push_back(csrc);
  Bytes extension(valid.begin(), valid.begin() + 12);
  extension[0] = 0x90;
  extension.insert(extension.end(), {0xBE, 0xDE, 0x00, 0x0A, 0x10, 0x01, 0x00, 0x00});
  bad.push_back(extension);  // extension of 10 words, 1 present
  Bytes padding = valid;
  padding[0] |= 0x20;
  padding.back() = 0xFF;  // 255 bytes of padding in a shorter packet
  bad.push_back(padding);
  bad.push_back({0x80, 0xC9, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00});  // RR longer than sent
  for (const Bytes& b : bad) ASSERT_TRUE(pub_peer->Send(b));
  // The worker goes on: the next valid packet arrives, after everything above was handled.
  ASSERT_TRUE(pub_peer->Send(valid));
  ASSERT_EQ(ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 1)).size(), 1u);

  const json::object after = this->env().Stats().at("drops").as_object();
  std::map<std::string, uint64_t> delta;
  for (const std::string& r : reasons) {
    delta[r] = after.at(r).to_number<uint64_t>() - before.at(r).to_number<uint64_t>();
  }
  EXPECT_EQ(delta["short_header"], 2u);
  // Version 1 (first byte 64-127) is not another protocol's range (RFC 7983): a wrong version.
  EXPECT_EQ(delta["bad_version"], 1u);
  EXPECT_EQ(delta["not_rtp_or_rtcp"], 0u);
  EXPECT_EQ(delta["csrc_past_end"], 1u);
  EXPECT_EQ(delta["extension_past_end"], 1u);
  EXPECT_EQ(delta["bad_padding"], 1u);
  EXPECT_EQ(delta["unknown_ssrc"], 1u);
  // RTCP from an unknown SSRC is matched to the publisher by its address, then fails to parse.
  EXPECT_EQ(delta["rtcp_compound_error"], 1u);
  EXPECT_GE(this->env().MetricSum("mgw_dataplane_drops_total", "reason=\"csrc_past_end\""), 1);
  this->env().Call(control::RemoveMeeting{meeting});
}

// 7. swap: once answered, nothing more of the old feed; the new one starts at a keyframe and
// continues the subscriber's sequence numbers.
TYPED_TEST(DataplaneTest, SwapIsAtomicAndStartsOnKeyframe) {
  const std::string meeting = "swap";
  auto a_peer = this->env().MakePeer();
  auto b_peer = this->env().MakePeer();
  const uint32_t a_ssrc = NextSsrc(), b_ssrc = NextSsrc();
  this->env().Call(VideoPublisher("swap-a", meeting, Codec::kH264, {a_ssrc}, a_peer->address()));
  this->env().Call(VideoPublisher("swap-b", meeting, Codec::kH264, {b_ssrc}, b_peer->address()));
  auto subs = this->AddSubscribers("swap-sub", meeting, 1);
  this->env().Call(control::Subscribe{"swap-sub0", "swap-a", 1'000'000});

  // Both publishers send while the swap happens: a packet each per millisecond, keyframes every
  // 10 (pacing the load, not synchronising anything).
  constexpr uint32_t kBTagBase = 100000;
  std::atomic<bool> stop{false};
  std::atomic<uint32_t> a_sent{0};
  std::thread sender([&] {
    VideoSource a(*a_peer, Codec::kH264, a_ssrc);
    VideoSource b(*b_peer, Codec::kH264, b_ssrc);
    for (uint32_t i = 0; !stop.load(); ++i) {
      a.Send(i % 10 == 0, i);
      a_sent.store(i + 1);
      b.Send(i % 10 == 5, kBTagBase + i);
      poll(nullptr, 0, 1);
    }
    b.Send(false, kBTagBase + 999999);  // the end
  });
  std::vector<Rtp> got = ReceiveUntil(*subs[0], TagIs(Codec::kH264, 20));
  this->env().Call(control::Swap{"swap-sub0", {"swap-a"}, {{"swap-b", 1'000'000}}});
  const uint32_t a_sent_at_answer = a_sent.load();
  std::vector<Rtp> more = ReceiveUntil(*subs[0], [&](const Rtp& r) {
    return PayloadTag(Codec::kH264, r.payload).value_or(0) >= kBTagBase + 30;
  });
  stop = true;
  sender.join();
  got.insert(got.end(), more.begin(), more.end());
  more = ReceiveUntil(*subs[0], TagIs(Codec::kH264, kBTagBase + 999999));
  got.insert(got.end(), more.begin(), more.end());
  ASSERT_FALSE(got.empty());
  ASSERT_EQ(PayloadTag(Codec::kH264, got.back().payload), kBTagBase + 999999);

  bool on_b = false;
  for (size_t i = 0; i < got.size(); ++i) {
    const uint32_t tag = PayloadTag(Codec::kH264, got[i].payload).value_or(0);
    const bool from_b = tag >= kBTagBase;
    if (!from_b) {
      EXPECT_FALSE(on_b) << "feed A after feed B, packet " << i;
      // A packet whose send began before the answer may still arrive; nothing later.
      EXPECT_LE(tag, a_sent_at_answer) << "feed A after the swap was answered";
    } else if (!on_b) {
      EXPECT_TRUE(IsKeyframePayload(Codec::kH264, got[i].payload)) << "B starts at a keyframe";
      on_b = true;
    }
    EXPECT_EQ(got[i].ssrc, a_ssrc) << "the leg keeps its output SSRC";
    if (i > 0) {
      EXPECT_EQ(static_cast<uint16_t>(got[i].seq - got[i - 1].seq), 1) << "packet " << i;
    }
  }
  EXPECT_TRUE(on_b);
  this->env().Call(control::RemoveMeeting{meeting});
}

// RTCP packets `peer` receives (unprotected with `srtcp` when given) until one satisfies `want`;
// every packet seen on the way is appended to `seen` when given.
std::optional<RtcpPacket> ReceiveRtcpUntil(Peer& peer,
                                           const std::function<bool(const RtcpPacket&)>& want,
                                           std::vector<RtcpPacket>* seen = nullptr,
                                           SrtpContext* srtcp = nullptr,
                                           std::chrono::milliseconds timeout = kDeadline) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    std::optional<Bytes> got = peer.Receive(left);
    if (!got) return std::nullopt;
    if (!IsRtcp(*got)) continue;
    if (srtcp != nullptr) {
      got = srtcp->UnprotectRtcp(*got);
      EXPECT_TRUE(got.has_value()) << "RTCP from the dataplane failed SRTCP authentication";
      if (!got) continue;
    }
    for (RtcpPacket& packet : SplitRtcp(*got)) {
      if (seen != nullptr) seen->push_back(packet);
      if (want(packet)) return packet;
    }
  }
}

// Polls the /metrics sum until it reaches `at_least` or the deadline passes; the value seen last.
double WaitForMetric(DataplaneEnv& env, const std::string& family, double at_least,
                     const std::string& label = "") {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  double value = env.MetricSum(family, label);
  while (value < at_least && std::chrono::steady_clock::now() < deadline) {
    poll(nullptr, 0, 5);  // pacing the polls of an observable counter, not a synchronisation
    value = env.MetricSum(family, label);
  }
  return value;
}

// 8a. RTCP: a publisher's sender report reaches each subscriber in the leg's SSRC, timestamp and
// count space; a subscriber's receiver report ends at the dataplane, which sends the publisher
// receiver reports of its own.
TYPED_TEST(DataplaneTest, SenderReportsForwardedReceiverReportsTerminated) {
  const std::string meeting = "rtcp";
  auto pub_peer = this->env().MakePeer();
  // Simulcast, so the leg's output SSRC (the first encoding's) differs from the forwarded one's.
  const std::vector<uint32_t> ssrcs = {NextSsrc(), NextSsrc(), NextSsrc()};
  const uint32_t ssrc = ssrcs[2];
  this->env().Call(VideoPublisher("rtcp-pub", meeting, Codec::kVp8, ssrcs, pub_peer->address()));
  auto subs = this->AddSubscribers("rtcp-sub", meeting, 1);
  std::vector<std::unique_ptr<VideoSource>> sources;
  for (uint32_t s : ssrcs) {
    sources.push_back(std::make_unique<VideoSource>(*pub_peer, Codec::kVp8, s));
  }
  for (size_t e = 0; e < 3; ++e) sources[e]->Send(false, static_cast<uint32_t>(e));
  EXPECT_GE(WaitForMetric(this->env(), "mgw_dataplane_stream_packets_total", 3, "rtcp-pub"), 3);
  this->env().Call(control::Subscribe{"rtcp-sub0", "rtcp-pub", 2'000'000});
  std::vector<Rtp> sent;
  for (uint32_t t = 10; t < 13; ++t) sent.push_back(sources[2]->Send(t == 10, t));
  std::vector<Rtp> got = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 12));
  ASSERT_EQ(got.size(), 3u);
  ASSERT_EQ(got[0].ssrc, ssrcs[0]);

  constexpr uint64_t kNtp = 0xE1234567'89ABCDEFull;
  ASSERT_TRUE(pub_peer->Send(SenderReport(ssrc, kNtp, sent[2].ts + 1500, 1234, 98765)));
  std::optional<RtcpPacket> sr =
      ReceiveRtcpUntil(*subs[0], [](const RtcpPacket& p) { return p.type == 200; });
  ASSERT_TRUE(sr.has_value()) << "no sender report forwarded";
  EXPECT_EQ(sr->sender_ssrc, got[0].ssrc) << "in the leg's SSRC";
  EXPECT_EQ(static_cast<uint64_t>(ReadU32(sr->bytes, 8)) << 32 | ReadU32(sr->bytes, 12), kNtp);
  EXPECT_EQ(ReadU32(sr->bytes, 16), got[2].ts + 1500) << "in the leg's timestamp space";
  EXPECT_EQ(ReadU32(sr->bytes, 20), 3u) << "packets this leg sent";
  size_t octets = 0;
  for (const Rtp& r : got) octets += r.payload.size();
  EXPECT_EQ(ReadU32(sr->bytes, 24), octets) << "payload octets this leg sent";

  // The subscriber reports on what it receives: consumed here, never sent to the publisher.
  const double terminated =
      this->env().MetricSum("mgw_dataplane_receiver_reports_terminated_total");
  const uint32_t subscriber_ssrc = NextSsrc();
  ASSERT_TRUE(subs[0]->Send(ReceiverReportAbout(subscriber_ssrc, got[0].ssrc, 64, 7, 321)));
  EXPECT_GE(
      WaitForMetric(this->env(), "mgw_dataplane_receiver_reports_terminated_total", terminated + 1),
      terminated + 1);
  // What the subscriber reported is in the leg's stats and on /metrics.
  const json::object stats = this->env().Stats("rtcp-sub0");
  const json::array& legs =
      stats.at("participants").as_array().at(0).as_object().at("legs").as_array();
  bool found = false;
  for (const json::value& leg : legs) {
    if (leg.at("publisher") != "rtcp-pub" || leg.at("kind") != "video") continue;
    found = true;
    EXPECT_EQ(leg.at("ssrc").to_number<uint32_t>(), got[0].ssrc);
    EXPECT_EQ(leg.at("packets").to_number<uint64_t>(), 3u);
    EXPECT_EQ(leg.at("lost").to_number<int64_t>(), 7);
    EXPECT_EQ(leg.at("fraction_lost").to_number<int>(), 64);
    EXPECT_EQ(leg.at("jitter").to_number<uint32_t>(), 321u);
  }
  EXPECT_TRUE(found) << json::serialize(stats);
  const std::string leg_label = "subscriber=\"rtcp-sub0\",publisher=\"rtcp-pub\",kind=\"video\"";
  EXPECT_EQ(this->env().MetricSum("mgw_dataplane_leg_jitter", leg_label), 321);
  EXPECT_EQ(this->env().MetricSum("mgw_dataplane_leg_lost_packets", leg_label), 7);
  EXPECT_EQ(this->env().MetricSum("mgw_dataplane_leg_fraction_lost", leg_label), 0.25);
  EXPECT_EQ(this->env().MetricSum("mgw_dataplane_leg_packets_total", leg_label), 3);

  // The dataplane's own report on the publisher's stream comes within its interval (1 s).
  std::vector<RtcpPacket> seen;
  // The offset of the report block about `ssrc` in an RR, or 0 when it has none.
  auto block_about = [&](const RtcpPacket& p) -> size_t {
    if (p.type != 201) return 0;
    for (size_t b = 0; b < p.count; ++b) {
      if (ReadU32(p.bytes, 8 + 24 * b) == ssrc) return 8 + 24 * b;
    }
    return 0;
  };
  // (An earlier one, sent before the last packets arrived, may still be queued: skip it.)
  std::optional<RtcpPacket> rr = ReceiveRtcpUntil(
      *pub_peer,
      [&](const RtcpPacket& p) {
        const size_t block = block_about(p);
        return block != 0 && (ReadU32(p.bytes, block + 8) & 0xFFFF) == sent[2].seq;
      },
      &seen);
  ASSERT_TRUE(rr.has_value()) << "no receiver report up to the last packet from the dataplane";
  const size_t block = block_about(*rr);
  EXPECT_EQ(ReadU32(rr->bytes, block + 4) & 0xFFFFFF, 0u) << "nothing lost";
  for (const RtcpPacket& p : seen) {
    EXPECT_NE(p.sender_ssrc, subscriber_ssrc) << "the subscriber's report reached the publisher";
  }
  this->env().Call(control::RemoveMeeting{meeting});
}

// 8b. A FIR (RFC 5104) from a subscriber reaches the publisher as a FIR for its stream.
TYPED_TEST(DataplaneTest, FirReachesPublisher) {
  const std::string meeting = "fir";
  auto pub_peer = this->env().MakePeer();
  const uint32_t ssrc = NextSsrc();
  this->env().Call(VideoPublisher("fir-pub", meeting, Codec::kVp8, {ssrc}, pub_peer->address()));
  auto subs = this->AddSubscribers("fir-sub", meeting, 1);
  this->env().Call(control::Subscribe{"fir-sub0", "fir-pub", 1'000'000});
  VideoSource source(*pub_peer, Codec::kVp8, ssrc);
  for (uint32_t t = 0; t < 3; ++t) source.Send(t == 0, t);
  std::vector<Rtp> got = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 2));
  ASSERT_EQ(got.size(), 3u);

  const double received = this->env().MetricSum("mgw_dataplane_keyframe_requests_received_total");
  ASSERT_TRUE(subs[0]->Send(Fir(NextSsrc(), got[0].ssrc, 1)));
  std::optional<RtcpPacket> fir = ReceiveRtcpUntil(
      *pub_peer, [](const RtcpPacket& p) { return p.type == 206 && p.count == 4; });
  ASSERT_TRUE(fir.has_value()) << "no FIR reached the publisher";
  EXPECT_EQ(ReadU32(fir->bytes, 12), ssrc) << "the FCI names the publisher's stream";
  EXPECT_EQ(this->env().MetricSum("mgw_dataplane_keyframe_requests_received_total"), received + 1);
  this->env().Call(control::RemoveMeeting{meeting});
}

// 8c. SRTP: a replayed packet is dropped and counted; new keys take effect at once in both
// directions, and what the old key protects no longer authenticates.
TYPED_TEST(DataplaneTest, SrtpReplayDroppedAndRekeyingTakesEffect) {
  const SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  const std::string meeting = "rekey";
  auto pub_peer = this->env().MakePeer();
  const uint32_t ssrc = NextSsrc();
  AddParticipant pub =
      VideoPublisher("rekey-pub", meeting, Codec::kVp8, {ssrc}, pub_peer->address());
  const Bytes pub_rx = RandomKey(suite, 31), pub_tx = RandomKey(suite, 32);
  pub.srtp = control::SrtpKeys{suite, pub_rx, pub_tx};
  this->env().Call(pub);
  auto sub_peer = this->env().MakePeer();
  const Bytes sub_rx = RandomKey(suite, 33), sub_tx = RandomKey(suite, 34);
  AddParticipant sub = Member("rekey-sub", meeting, NextSsrc(), sub_peer->address());
  sub.srtp = control::SrtpKeys{suite, sub_rx, sub_tx};
  this->env().Call(sub);
  this->env().Call(control::Subscribe{"rekey-sub", "rekey-pub", 1'000'000});

  SrtpContext protect(suite, pub_rx, true);
  SrtpContext sub_in(suite, sub_tx, false);
  ASSERT_TRUE(protect.ok() && sub_in.ok());
  VideoSource source(*pub_peer, Codec::kVp8, ssrc);
  for (uint32_t t = 0; t < 5; ++t) source.Send(t == 0, t, false, &protect);
  ASSERT_EQ(ReceiveUntil(*sub_peer, TagIs(Codec::kVp8, 4), &sub_in).size(), 5u);

  // A replay: the same protected packet twice.
  const uint64_t replays = this->env().Drops("srtp_replay");
  const Bytes once = protect.ProtectRtp(BuildRtp(source.Make(false, 5)));
  ASSERT_TRUE(pub_peer->Send(once));
  ASSERT_TRUE(pub_peer->Send(once));
  source.Send(false, 6, false, &protect);
  std::vector<Rtp> got = ReceiveUntil(*sub_peer, TagIs(Codec::kVp8, 6), &sub_in);
  ASSERT_EQ(got.size(), 2u) << "packet 5 once, then 6";
  EXPECT_EQ(PayloadTag(Codec::kVp8, got[0].payload), 5u);
  EXPECT_EQ(this->env().Drops("srtp_replay"), replays + 1);

  // New keys for the publisher: the old key no longer authenticates, the new one does.
  const Bytes pub_rx2 = RandomKey(suite, 41), pub_tx2 = RandomKey(suite, 42);
  this->env().Call(control::SetKeys{"rekey-pub", {suite, pub_rx2, pub_tx2}});
  const uint64_t auth_fails = this->env().Drops("srtp_auth_fail");
  source.Send(false, 7, false, &protect);  // old key
  SrtpContext protect2(suite, pub_rx2, true);
  ASSERT_TRUE(protect2.ok());
  source.Send(false, 8, false, &protect2);
  got = ReceiveUntil(*sub_peer, TagIs(Codec::kVp8, 8), &sub_in);
  ASSERT_EQ(got.size(), 1u) << "only the packet under the new key";
  EXPECT_EQ(this->env().Drops("srtp_auth_fail"), auth_fails + 1);

  // New keys for the subscriber: what it receives from now on is protected with them.
  const Bytes sub_rx2 = RandomKey(suite, 43), sub_tx2 = RandomKey(suite, 44);
  this->env().Call(control::SetKeys{"rekey-sub", {suite, sub_rx2, sub_tx2}});
  SrtpContext sub_in2(suite, sub_tx2, false);
  ASSERT_TRUE(sub_in2.ok());
  source.Send(false, 9, false, &protect2);
  got = ReceiveUntil(*sub_peer, TagIs(Codec::kVp8, 9), &sub_in2);
  ASSERT_EQ(got.size(), 1u);
  this->env().Call(control::RemoveMeeting{meeting});
}

// 8d. Address latching: an authenticated packet from a new address moves the participant there
// (NAT rebinding) and feedback follows it; without SRTP, packets from another address than the
// known one are dropped and counted.
TYPED_TEST(DataplaneTest, NatRebindingMovesAddressOnlyWhenAuthenticated) {
  const SrtpSuite suite = SrtpSuite::kAeadAes128Gcm;
  const std::string meeting = "nat";
  auto first = this->env().MakePeer();
  const uint32_t ssrc = NextSsrc();
  AddParticipant pub = VideoPublisher("nat-pub", meeting, Codec::kVp8, {ssrc});  // latched
  const Bytes pub_rx = RandomKey(suite, 51), pub_tx = RandomKey(suite, 52);
  pub.srtp = control::SrtpKeys{suite, pub_rx, pub_tx};
  this->env().Call(pub);
  auto subs = this->AddSubscribers("nat-sub", meeting, 1);
  this->env().Call(control::Subscribe{"nat-sub0", "nat-pub", 1'000'000});

  SrtpContext protect(suite, pub_rx, true);
  ASSERT_TRUE(protect.ok());
  VideoSource source(*first, Codec::kVp8, ssrc);
  for (uint32_t t = 0; t < 3; ++t) source.Send(t == 0, t, false, &protect);
  ASSERT_TRUE(this->env().WaitForAddress("nat-pub", first->address(), kDeadline));
  ASSERT_EQ(ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 2)).size(), 3u);

  // The publisher's NAT binding changes: the same stream from another port.
  const double moved = this->env().MetricSum("mgw_dataplane_addresses_moved_total");
  auto second = this->env().MakePeer();
  ASSERT_TRUE(second->Send(protect.ProtectRtp(BuildRtp(source.Make(false, 3)))));
  ASSERT_EQ(ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 3)).size(), 1u);
  EXPECT_TRUE(this->env().WaitForAddress("nat-pub", second->address(), kDeadline));
  EXPECT_EQ(WaitForMetric(this->env(), "mgw_dataplane_addresses_moved_total", moved + 1),
            moved + 1);
  // Feedback goes to the new address, protected with the publisher's keys.
  Drain(*first);
  SrtpContext feedback(suite, pub_tx, false);
  ASSERT_TRUE(feedback.ok());
  ASSERT_TRUE(subs[0]->Send(Pli(NextSsrc(), ssrc)));
  std::optional<RtcpPacket> pli = ReceiveRtcpUntil(
      *second, [](const RtcpPacket& p) { return p.type == 206 && p.count == 1; }, nullptr,
      &feedback);
  ASSERT_TRUE(pli.has_value()) << "the PLI did not follow the publisher to its new address";
  EXPECT_EQ(ReadU32(pli->bytes, 8), ssrc);

  // A plain publisher at a known address: the same SSRC from elsewhere is dropped and counted.
  auto plain = this->env().MakePeer();
  auto intruder = this->env().MakePeer();
  const uint32_t plain_ssrc = NextSsrc();
  this->env().Call(
      VideoPublisher("nat-plain", meeting, Codec::kVp8, {plain_ssrc}, plain->address()));
  this->env().Call(control::Subscribe{"nat-sub0", "nat-plain", 1'000'000});
  VideoSource plain_source(*plain, Codec::kVp8, plain_ssrc);
  plain_source.Send(true, 100);
  ASSERT_EQ(ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 100)).size(), 1u);
  const uint64_t not_latched = this->env().Drops("address_not_latched");
  ASSERT_TRUE(intruder->Send(BuildRtp(plain_source.Make(false, 101))));
  plain_source.Send(false, 102);
  std::vector<Rtp> got = ReceiveUntil(*subs[0], TagIs(Codec::kVp8, 102));
  ASSERT_EQ(got.size(), 1u) << "the intruder's packet was forwarded";
  EXPECT_EQ(this->env().Drops("address_not_latched"), not_latched + 1);
  EXPECT_TRUE(this->env().WaitForAddress("nat-plain", plain->address(), kDeadline));
  this->env().Call(control::RemoveMeeting{meeting});
}

// 8e. Feed limits through the control socket: a participant takes at most 49 video feeds, the
// recorder 50; a subscription past the limit is refused and changes nothing.
TYPED_TEST(DataplaneTest, VideoFeedLimitsFortyNineAndFiftyForTheRecorder) {
  const std::string meeting = "limits";
  for (int p = 0; p < 51; ++p) {
    this->env().Call(VideoPublisher("lim-pub" + std::to_string(p), meeting, Codec::kVp8,
                                    {NextSsrc()}, "198.18.0.99:" + std::to_string(20000 + p)));
  }
  this->env().Call(Member("lim-viewer", meeting, NextSsrc(), "198.18.0.98:5000"));
  AddParticipant recorder = Member("lim-recorder", meeting, NextSsrc(), "198.18.0.98:5002");
  recorder.audio.reset();
  recorder.recorder = true;
  this->env().Call(recorder);
  auto video_legs = [&](const std::string& who) {
    const json::object stats = this->env().Stats(who);
    size_t n = 0;
    for (const json::value& leg :
         stats.at("participants").as_array().at(0).as_object().at("legs").as_array()) {
      n += leg.at("kind") == "video";
    }
    return n;
  };
  for (int p = 0; p < 49; ++p) {
    this->env().Call(control::Subscribe{"lim-viewer", "lim-pub" + std::to_string(p), 1'000'000});
  }
  EXPECT_THROW(this->env().Call(control::Subscribe{"lim-viewer", "lim-pub49", 1'000'000}),
               control::ControlCallError);
  EXPECT_EQ(video_legs("lim-viewer"), 49u);
  for (int p = 0; p < 50; ++p) {
    this->env().Call(control::Subscribe{"lim-recorder", "lim-pub" + std::to_string(p), 1'000'000});
  }
  EXPECT_THROW(this->env().Call(control::Subscribe{"lim-recorder", "lim-pub50", 1'000'000}),
               control::ControlCallError);
  EXPECT_EQ(video_legs("lim-recorder"), 50u);
  // A swap that would end above the limit is refused as a whole.
  EXPECT_THROW(this->env().Call(control::Swap{"lim-viewer", {}, {{"lim-pub50", 1'000'000}}}),
               control::ControlCallError);
  this->env().Call(control::Swap{"lim-viewer", {"lim-pub0"}, {{"lim-pub50", 1'000'000}}});
  EXPECT_EQ(video_legs("lim-viewer"), 49u);
  this->env().Call(control::RemoveMeeting{meeting});
}

// 8. Two workers: flows spread over both queues, every packet still delivered exactly once, to
// subscribers whose address was signalled and to ones whose address was latched.
template <typename B>
class TwoWorkerTest : public DataplaneTest<B> {};
using TwoWorkerBackends = ::testing::Types<PosixTwoWorkers, UringTwoWorkers>;
TYPED_TEST_SUITE(TwoWorkerTest, TwoWorkerBackends, BackendNames);

TYPED_TEST(TwoWorkerTest, EveryPacketOnceAcrossWorkers) {
  DataplaneEnv& env = this->env();
  const std::string meeting = "workers";
  // Publishers until each queue carries at least two of them (the kernel's SO_REUSEPORT hash
  // decides); each probe is one junk datagram, seen in the backend's per-queue counters.
  auto queue_rx = [&](int q) {
    return env.MetricSum("mgw_dataplane_io_rx_packets_total",
                         "queue=\"" + std::to_string(q) + "\"");
  };
  std::vector<std::unique_ptr<Peer>> pubs;
  int per_queue[2] = {0, 0};
  for (int tries = 0; tries < 32 && (per_queue[0] < 2 || per_queue[1] < 2); ++tries) {
    auto peer = env.MakePeer();
    const double before[2] = {queue_rx(0), queue_rx(1)};
    ASSERT_TRUE(peer->Send({0x00}));
    int queue = -1;
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (queue < 0 && std::chrono::steady_clock::now() < deadline) {
      if (queue_rx(0) > before[0]) queue = 0;
      if (queue_rx(1) > before[1]) queue = 1;
    }
    ASSERT_GE(queue, 0);
    if (per_queue[queue] >= 2) continue;
    ++per_queue[queue];
    pubs.push_back(std::move(peer));
  }
  ASSERT_EQ(per_queue[0], 2);
  ASSERT_EQ(per_queue[1], 2);

  std::vector<uint32_t> ssrcs;
  for (size_t p = 0; p < pubs.size(); ++p) {
    ssrcs.push_back(NextSsrc());
    // Half the publishers signalled, half latched.
    std::optional<std::string> address;
    if (p % 2 == 0) address = pubs[p]->address();
    env.Call(
        VideoPublisher("w-pub" + std::to_string(p), meeting, Codec::kVp8, {ssrcs[p]}, address));
  }
  auto subs = this->AddSubscribers("w-sub", meeting, 4);
  for (size_t s = 0; s < subs.size(); ++s) {
    for (size_t p = 0; p < pubs.size(); ++p) {
      env.Call(
          control::Subscribe{"w-sub" + std::to_string(s), "w-pub" + std::to_string(p), 1'000'000});
    }
  }
  constexpr uint32_t kPackets = 20;
  std::vector<std::unique_ptr<VideoSource>> sources;
  std::vector<std::vector<Rtp>> sent(pubs.size());
  for (size_t p = 0; p < pubs.size(); ++p) {
    sources.push_back(std::make_unique<VideoSource>(*pubs[p], Codec::kVp8, ssrcs[p]));
  }
  for (uint32_t t = 0; t < kPackets; ++t) {
    for (size_t p = 0; p < pubs.size(); ++p) {
      sent[p].push_back(sources[p]->Send(t == 0, static_cast<uint32_t>(p * 1000 + t)));
    }
  }
  for (size_t s = 0; s < subs.size(); ++s) {
    std::map<uint32_t, std::vector<Rtp>> by_ssrc;
    size_t done = 0;
    ReceiveUntil(*subs[s], [&](const Rtp& r) {
      by_ssrc[r.ssrc].push_back(r);
      const uint32_t tag = PayloadTag(Codec::kVp8, r.payload).value_or(0);
      if (tag % 1000 == kPackets - 1) ++done;
      return done == pubs.size();
    });
    for (size_t p = 0; p < pubs.size(); ++p) {
      ExpectForwardedCopies(sent[p], by_ssrc[ssrcs[p]], ssrcs[p],
                            "subscriber " + std::to_string(s) + ", publisher " + std::to_string(p));
    }
  }
  env.Call(control::RemoveMeeting{meeting});
}

}  // namespace
}  // namespace mgw::e2e
