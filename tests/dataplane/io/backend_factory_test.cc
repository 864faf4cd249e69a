#include "mgw/io/backend_factory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mgw/io/io_stats.h"

namespace mgw::io {
namespace {

using ::testing::HasSubstr;

TEST(BackendFactoryTest, ParsesBackendNames) {
  EXPECT_EQ(ParseBackendKind("posix"), BackendKind::kPosix);
  EXPECT_EQ(ParseBackendKind("uring"), BackendKind::kUring);
  EXPECT_EQ(ParseBackendKind("dpdk"), BackendKind::kDpdk);
  EXPECT_FALSE(ParseBackendKind("netmap"));
  EXPECT_EQ(BackendKindName(BackendKind::kUring), "uring");
}

TEST(BackendFactoryTest, ParsesMacAddresses) {
  EXPECT_EQ(ParseMacAddress("02:00:5e:10:00:ff"), (MacAddress{0x02, 0x00, 0x5e, 0x10, 0x00, 0xff}));
  EXPECT_FALSE(ParseMacAddress("02:00:5e:10:00"));
  EXPECT_FALSE(ParseMacAddress("02-00-5e-10-00-ff"));
  EXPECT_FALSE(ParseMacAddress("02:00:5e:10:00:fg"));
}

TEST(BackendFactoryTest, RejectsBadConfiguration) {
  BackendConfig config;
  config.kind = BackendKind::kPosix;
  BackendResult result = CreatePacketBackend(config);
  EXPECT_FALSE(result);
  EXPECT_THAT(result.error, HasSubstr("no local address"));

  config.local = *Endpoint::Parse("127.0.0.1:0");
  config.queues = 0;
  EXPECT_THAT(CreatePacketBackend(config).error, HasSubstr("queues"));

  config.queues = 1;
  config.headroom = 2048;
  EXPECT_THAT(CreatePacketBackend(config).error, HasSubstr("headroom"));
}

TEST(BackendFactoryTest, DpdkNeedsASpecificAddressOrIsNotCompiledIn) {
  BackendConfig config;
  config.kind = BackendKind::kDpdk;
  config.local = *Endpoint::Parse("0.0.0.0:5004");
  const BackendResult result = CreatePacketBackend(config);
  EXPECT_FALSE(result);
  if (DpdkBackendCompiledIn()) {
    EXPECT_THAT(result.error, HasSubstr("specific IPv4 address"));
  } else {
    EXPECT_THAT(result.error, HasSubstr("not compiled in"));
  }
}

TEST(IoStatsTest, NamesEveryDropReasonAndSums) {
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    EXPECT_NE(DropReasonName(static_cast<DropReason>(i)), "unknown");
  }
  EXPECT_EQ(DropReasonName(DropReason::kRxTruncated), "rx_truncated");
  EXPECT_EQ(DropReasonName(DropReason::kTxWouldBlock), "tx_would_block");
  QueueCounters counters;
  counters.rx_packets.Add(3);
  counters.Drop(DropReason::kTxNoRoute, 2);
  IoStats total = counters.Snapshot();
  total += counters.Snapshot();
  EXPECT_EQ(total.rx_packets, 6u);
  EXPECT_EQ(total.drop(DropReason::kTxNoRoute), 4u);
  EXPECT_EQ(total.total_drops(), 4u);
}

}  // namespace
}  // namespace mgw::io
