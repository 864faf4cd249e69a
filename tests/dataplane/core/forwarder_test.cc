// Forwarder basics: audio fan-out, zero-copy outputs, every packet-level drop, latching, burst
// indexes, participant removal.

#include "mgw/dp/forwarder.h"

#include <gtest/gtest.h>

#include "forwarder_harness.h"
#include "mgw/dp/config_error.h"
#include "mgw/dp/rtcp_builder.h"
#include "rtcp_fixtures.h"

namespace mgw::dp::test {
namespace {

class ForwarderTest : public testing::Test {
 protected:
  void SetUp() override {
    h.fwd.AddParticipant(AudioOnly(1));
    h.fwd.AddParticipant(AudioOnly(2));
    h.fwd.AddParticipant(ReceiveOnly(3));
    h.fwd.AddParticipant(AudioOnly(4, /*meeting=*/2));
    h.fwd.SetAddress(2, Addr(2));
    h.fwd.SetAddress(3, Addr(3));
    h.fwd.SetAddress(4, Addr(4));
  }

  Bytes Audio(ParticipantId from, uint16_t seq) {
    return MakeRtp(RtpSpec{AudioSsrc(from), seq, seq * 960u, kOpusPt, false, {1, 2, 3, 4, 5}});
  }

  Harness h;
};

TEST_F(ForwarderTest, AudioReachesEveryOtherMeetingMemberWithoutCopyingPayload) {
  // 1 and 2 publish; 1, 2, 3 receive: 1->2, 1->3, 2->1, 2->3.
  EXPECT_EQ(h.fwd.leg_count(), 4u);
  ASSERT_EQ(h.Send(Audio(1, 500), Addr(1)), DropReason::kNone);
  ASSERT_EQ(h.sent().size(), 2u);
  for (const Endpoint& to : {Addr(2), Addr(3)}) {
    const auto out = h.SentTo(to);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].zero_copy);
    EXPECT_FALSE(out[0].rtcp);
    EXPECT_EQ(out[0].input, 0u);
    EXPECT_EQ(out[0].wire, h.last_ingress());  // audio legs keep SSRC and numbering
  }
  // The head is only the 12-byte header; the payload is the ingress buffer itself.
  const OutputPacket& o = h.batch().packets()[0];
  EXPECT_EQ(o.head.size(), 12u);
  EXPECT_EQ(o.tail.data(), h.last_ingress().data() + 12);
  EXPECT_TRUE(h.SentTo(Addr(1)).empty());
  EXPECT_TRUE(h.SentTo(Addr(4)).empty());
  EXPECT_EQ(h.fwd.counters().rtp_received, 1u);
  EXPECT_EQ(h.fwd.counters().rtp_sent, 2u);
  const auto leg = h.fwd.Subscription(3, 1, MediaKind::kAudio);
  ASSERT_TRUE(leg.has_value());
  EXPECT_EQ(leg->stats.packets_sent, 1u);
  EXPECT_EQ(leg->stats.payload_bytes_sent, 5u);
  EXPECT_EQ(h.fwd.PublisherStats(1, MediaKind::kAudio)->packets(), 1u);
}

TEST_F(ForwarderTest, FirstPacketLatchesAddressAndOthersAreDropped) {
  EXPECT_FALSE(h.fwd.Address(1).has_value());
  ASSERT_EQ(h.Send(Audio(1, 1), Addr(1)), DropReason::kNone);
  EXPECT_EQ(h.fwd.Address(1), Addr(1));
  EXPECT_EQ(h.fwd.counters().addresses_latched, 1u);
  EXPECT_EQ(h.Send(Audio(1, 2), Addr(9)), DropReason::kAddressNotLatched);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kAddressNotLatched), 1u);
  EXPECT_EQ(h.fwd.Address(1), Addr(1));
  EXPECT_EQ(h.Send(Audio(1, 3), Addr(1, 5001)), DropReason::kAddressNotLatched);  // port counts
  EXPECT_EQ(h.Send(Audio(1, 4), Addr(1)), DropReason::kNone);
  // Now 2 can receive from 1's traffic, and 1 receives 2's.
  h.Send(Audio(2, 1), Addr(2));
  EXPECT_EQ(h.SentTo(Addr(1)).size(), 1u);
}

TEST_F(ForwarderTest, ReceiverWithoutAddressIsSkipped) {
  h.fwd.AddParticipant(ReceiveOnly(5));  // never latched
  ASSERT_EQ(h.Send(Audio(1, 1), Addr(1)), DropReason::kNone);
  EXPECT_EQ(h.sent().size(), 2u);
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kNoDestination), 1u);
}

struct ForwarderDropCase {
  const char* name;
  Bytes datagram;
  DropReason expected;
};

class ForwarderDropTest : public ForwarderTest,
                          public testing::WithParamInterface<ForwarderDropCase> {};

TEST_P(ForwarderDropTest, DropsAndCounts) {
  const uint64_t before = h.fwd.drops().Get(GetParam().expected);
  EXPECT_EQ(h.Send(GetParam().datagram, Addr(1)), GetParam().expected);
  EXPECT_EQ(h.fwd.drops().Get(GetParam().expected), before + 1);
  EXPECT_TRUE(h.sent().empty());
}

Bytes KnownRtp(std::initializer_list<uint8_t> tail, uint8_t first_byte) {
  // SSRC 101 is participant 1's audio.
  Bytes b = {first_byte, kOpusPt, 0, 1, 0, 0, 0, 2, 0, 0, 0, 101};
  b.insert(b.end(), tail);
  return b;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ForwarderDropTest,
    testing::Values(
        ForwarderDropCase{"Empty", {}, DropReason::kShortHeader},
        ForwarderDropCase{"OneByte", {0x80}, DropReason::kShortHeader},
        ForwarderDropCase{"ShortRtp", {0x80, 0x6F, 0, 1, 0, 0, 0, 2}, DropReason::kShortHeader},
        ForwarderDropCase{
            "Stun", {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42}, DropReason::kNotRtpOrRtcp},
        ForwarderDropCase{"Dtls", {0x16, 0xFE, 0xFD, 0x00}, DropReason::kNotRtpOrRtcp},
        ForwarderDropCase{"Version1",
                          {0x40, 0x6F, 0, 1, 0, 0, 0, 2, 0x0B, 0xAD, 0xBE, 0xEF, 1},
                          DropReason::kBadVersion},
        ForwarderDropCase{"Version3",
                          {0xC0, 0x6F, 0, 1, 0, 0, 0, 2, 0x0B, 0xAD, 0xBE, 0xEF, 1},
                          DropReason::kBadVersion},
        ForwarderDropCase{"UnknownSsrc",
                          {0x80, 0x6F, 0, 1, 0, 0, 0, 2, 0x0B, 0xAD, 0xBE, 0xEF, 1},
                          DropReason::kUnknownSsrc},
        ForwarderDropCase{"CsrcPastEnd", KnownRtp({1, 2, 3}, 0x82), DropReason::kCsrcPastEnd},
        ForwarderDropCase{"ExtensionPastEnd", KnownRtp({0xBE, 0xDE, 0, 5, 1}, 0x90),
                          DropReason::kExtensionPastEnd},
        ForwarderDropCase{"BadPadding", KnownRtp({1, 2, 9}, 0xA0), DropReason::kBadPadding},
        ForwarderDropCase{
            "RtcpTooShort", {0x81, 0xC9, 0x00, 0x01, 0x00, 0x00}, DropReason::kRtcpCompoundError},
        // Known sender (SSRC 101) but the length field overruns the datagram.
        ForwarderDropCase{"RtcpBadLength",
                          {0x80, 0xC9, 0x00, 0x05, 0x00, 0x00, 0x00, 101, 0, 0, 0, 0},
                          DropReason::kRtcpCompoundError},
        ForwarderDropCase{"RtcpUnknownSender", fixtures::ReceiverReport(),
                          DropReason::kUnknownSsrc}),
    [](const testing::TestParamInfo<ForwarderDropCase>& p) { return std::string(p.param.name); });

TEST_F(ForwarderTest, PublisherAloneHasNoSubscribers) {
  h.fwd.AddParticipant(AudioOnly(7, /*meeting=*/3));
  EXPECT_EQ(h.Send(Audio(7, 1), Addr(7)), DropReason::kNoSubscribers);
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kNoSubscribers), 1u);
  // Stats still count what it sends, for the receiver reports we owe it.
  EXPECT_EQ(h.fwd.PublisherStats(7, MediaKind::kAudio)->packets(), 1u);
}

TEST_F(ForwarderTest, FullOutputBatchDropsTheRest) {
  std::vector<OutputPacket> one_slot(1);
  std::vector<uint8_t> arena(256);
  OutputBatch small(one_slot, arena);
  Bytes packet = Audio(1, 1);
  EXPECT_EQ(h.fwd.Process(IngressPacket{packet, Addr(1)}, h.now_us, small), DropReason::kNone);
  EXPECT_EQ(small.size(), 1u);
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kOutputFull), 1u);
  // An arena too small for even a header fails the same way.
  std::vector<uint8_t> tiny(8);
  OutputBatch no_room(one_slot, tiny);
  Bytes next = Audio(1, 2);
  h.fwd.Process(IngressPacket{next, Addr(1)}, h.now_us, no_room);
  EXPECT_EQ(no_room.size(), 0u);
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kOutputFull), 3u);
}

TEST_F(ForwarderTest, BurstOutputsNameTheirInputPacket) {
  h.SendBurst(
      {{Audio(1, 1), Addr(1)}, {Bytes{0x00, 0x01, 0x00, 0x00}, Addr(1)}, {Audio(2, 1), Addr(2)}});
  ASSERT_EQ(h.sent().size(), 4u);
  for (const Sent& s : h.sent()) {
    EXPECT_TRUE(s.input == 0 || s.input == 2);
    EXPECT_TRUE(s.zero_copy);
    EXPECT_EQ(ReadRtp(s.wire)->ssrc, s.input == 0 ? AudioSsrc(1) : AudioSsrc(2));
  }
  EXPECT_EQ(h.fwd.drops().Get(DropReason::kNotRtpOrRtcp), 1u);
}

TEST_F(ForwarderTest, RtcpFromUnsignalledSsrcIsFoundByAddress) {
  std::array<uint8_t, 64> buf{};
  const size_t n = BuildReceiverReport(buf, 0xDEAD, {});
  const Bytes rr(buf.begin(), buf.begin() + n);
  EXPECT_EQ(h.Send(rr, Addr(3)), DropReason::kNone);  // participant 3 is pinned at Addr(3)
  EXPECT_EQ(h.fwd.counters().receiver_reports_terminated, 1u);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.Send(rr, Addr(77)), DropReason::kUnknownSsrc);
}

TEST_F(ForwarderTest, RtcpSsrcIdentifiesReceiveOnlyParticipant) {
  ParticipantConfig c = ReceiveOnly(6);
  c.rtcp_ssrc = 0xFEED;
  h.fwd.AddParticipant(c);
  std::array<uint8_t, 64> buf{};
  const size_t n = BuildReceiverReport(buf, 0xFEED, {});
  EXPECT_EQ(h.Send(Bytes(buf.begin(), buf.begin() + n), Addr(6)), DropReason::kNone);
  EXPECT_EQ(h.fwd.Address(6), Addr(6));  // RTCP latches too
  // An RTCP-only SSRC never identifies media.
  EXPECT_EQ(h.Send(MakeRtp(RtpSpec{0xFEED, 1, 1}), Addr(6)), DropReason::kUnknownSsrc);
}

TEST_F(ForwarderTest, SdesByeAndAppAreConsumed) {
  const Bytes app = {0x80, 0xCC, 0x00, 0x02, 0x00, 0x00, 0x00, 101, 'n', 'a', 'm', 'e'};
  const Bytes bye = {0x81, 0xCB, 0x00, 0x01, 0x00, 0x00, 0x00, 101};
  Bytes sdes = fixtures::Sdes();
  sdes[4] = 0;
  sdes[5] = 0;
  sdes[6] = 0;
  sdes[7] = 101;
  std::array<uint8_t, 64> buf{};
  const size_t n = BuildReceiverReport(buf, 101, {});
  const Bytes compound = fixtures::Concat({Bytes(buf.begin(), buf.begin() + n), sdes, app, bye});
  EXPECT_EQ(h.Send(compound, Addr(1)), DropReason::kNone);
  EXPECT_EQ(h.fwd.counters().rtcp_consumed, 3u);
  EXPECT_TRUE(h.sent().empty());
}

TEST_F(ForwarderTest, RemovingParticipantRemovesItsStreamsAndLegs) {
  h.fwd.RemoveParticipant(1);
  EXPECT_EQ(h.fwd.leg_count(), 1u);  // 2 -> 3
  EXPECT_EQ(h.Send(Audio(1, 1), Addr(1)), DropReason::kUnknownSsrc);
  EXPECT_EQ(h.Send(Audio(2, 1), Addr(2)), DropReason::kNone);
  EXPECT_EQ(h.sent().size(), 1u);
  EXPECT_THROW(h.fwd.RemoveParticipant(1), ConfigError);
  // The SSRCs are free again.
  h.fwd.AddParticipant(AudioOnly(1));
  EXPECT_EQ(h.fwd.leg_count(), 4u);
}

TEST_F(ForwarderTest, ConfigurationErrors) {
  EXPECT_THROW(h.fwd.AddParticipant(AudioOnly(1)), ConfigError);  // duplicate id
  ParticipantConfig clash = AudioOnly(8);
  clash.audio.encodings[0].ssrc = AudioSsrc(2);
  EXPECT_THROW(h.fwd.AddParticipant(clash), ConfigError);
  EXPECT_EQ(h.fwd.participant_count(), 4u);  // nothing left behind
  EXPECT_EQ(h.fwd.leg_count(), 4u);
  EXPECT_THROW(h.fwd.SetAddress(99, Addr(9)), ConfigError);
  const Bytes bad_key(5, 0);
  EXPECT_THROW(h.fwd.SetSrtpKeys(1, SrtpSuite::kAesCm128HmacSha1_80, bad_key, bad_key),
               ConfigError);
}

TEST_F(ForwarderTest, RtxProbeWithoutOsnIsDropped) {
  h.fwd.AddParticipant(WithVideo(9));
  Bytes probe = MakeRtp(RtpSpec{RtxSsrc(9), 1, 0, kRtxPt, false, {}});
  probe[0] |= 0x20;  // padding only
  probe.insert(probe.end(), {0, 0, 0, 4});
  EXPECT_EQ(h.Send(probe, Addr(9)), DropReason::kRtxMalformed);
}

}  // namespace
}  // namespace mgw::dp::test
