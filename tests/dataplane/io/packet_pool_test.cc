#include "mgw/io/packet_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

namespace mgw::io {
namespace {

TEST(PacketPoolTest, HandsOutEveryPacketOnceWithHeadroom) {
  PacketPool pool(8, 2048, 128);
  std::set<Packet*> packets;
  for (int i = 0; i < 8; ++i) {
    Packet* packet = pool.Allocate();
    ASSERT_NE(packet, nullptr);
    EXPECT_EQ(packet->headroom, 128u);
    EXPECT_EQ(packet->tailroom, 2048u - 128);
    EXPECT_EQ(packet->length, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(pool.buffer(packet->slot)) % 64, 0u);
    EXPECT_EQ(packet->data, pool.buffer(packet->slot) + 128);
    packets.insert(packet);
  }
  EXPECT_EQ(packets.size(), 8u);
  EXPECT_EQ(pool.Allocate(), nullptr);
  EXPECT_EQ(pool.available(), 0u);
  for (Packet* packet : packets) pool.Free(packet);
  EXPECT_EQ(pool.available(), 8u);
}

TEST(PacketPoolTest, ReturnsASlotOnlyWithTheLastReference) {
  PacketPool pool(1, 256, 64);
  Packet* packet = pool.Allocate();
  pool.Ref(packet);  // e.g. an in-flight send
  pool.Free(packet);
  EXPECT_EQ(pool.available(), 0u);
  pool.Free(packet);
  EXPECT_EQ(pool.available(), 1u);
}

TEST(PacketPoolTest, ResetsAReusedPacket) {
  PacketPool pool(1, 256, 64);
  Packet* packet = pool.Allocate();
  packet->length = 10;
  ASSERT_NE(packet->Prepend(12), nullptr);
  EXPECT_EQ(packet->length, 22u);
  EXPECT_EQ(packet->headroom, 52u);
  EXPECT_EQ(packet->Prepend(53), nullptr);
  pool.Free(packet);
  packet = pool.Allocate();
  EXPECT_EQ(packet->length, 0u);
  EXPECT_EQ(packet->headroom, 64u);
}

}  // namespace
}  // namespace mgw::io
