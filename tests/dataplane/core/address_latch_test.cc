#include "mgw/dp/address_latch.h"

#include <gtest/gtest.h>

namespace mgw::dp {
namespace {

const Endpoint kHome = Endpoint::FromIpv4(0xC6120001, 40000);   // 198.18.0.1
const Endpoint kNat = Endpoint::FromIpv4(0xC6120001, 40001);    // same host, new NAT port
const Endpoint kOther = Endpoint::FromIpv4(0xC6120063, 40000);  // 198.18.0.99

TEST(AddressLatchTest, FirstPacketLatches) {
  AddressLatch latch;
  EXPECT_FALSE(latch.latched());
  EXPECT_EQ(latch.Offer(kHome, false), LatchVerdict::kLatched);
  EXPECT_TRUE(latch.latched());
  EXPECT_EQ(latch.address(), kHome);
  EXPECT_EQ(latch.Offer(kHome, false), LatchVerdict::kAccept);
}

TEST(AddressLatchTest, UnauthenticatedPacketFromElsewhereIsDropped) {
  AddressLatch latch;
  latch.Offer(kHome, false);
  EXPECT_EQ(latch.Offer(kOther, false), LatchVerdict::kDrop);
  EXPECT_EQ(latch.address(), kHome);
  EXPECT_EQ(latch.moves(), 0u);
}

TEST(AddressLatchTest, AuthenticatedPacketMovesTheAddress) {
  AddressLatch latch;
  latch.Offer(kHome, true);
  EXPECT_EQ(latch.Offer(kNat, true), LatchVerdict::kMoved);
  EXPECT_EQ(latch.address(), kNat);
  EXPECT_EQ(latch.moves(), 1u);
  EXPECT_EQ(latch.Offer(kHome, false), LatchVerdict::kDrop);  // the old one is now foreign
  EXPECT_EQ(latch.Offer(kNat, false), LatchVerdict::kAccept);
}

TEST(AddressLatchTest, PinnedAddressBehavesLikeLatched) {
  AddressLatch latch;
  latch.Pin(kOther);
  EXPECT_TRUE(latch.latched());
  EXPECT_EQ(latch.Offer(kHome, false), LatchVerdict::kDrop);
  EXPECT_EQ(latch.Offer(kOther, false), LatchVerdict::kAccept);
  latch.Reset();
  EXPECT_FALSE(latch.latched());
}

}  // namespace
}  // namespace mgw::dp
