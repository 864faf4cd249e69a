#include "mgw/io/endpoint.h"

#include <gtest/gtest.h>

namespace mgw::io {
namespace {

TEST(EndpointTest, ParsesAndFormatsIpv4) {
  const std::optional<Endpoint> endpoint = Endpoint::Parse("198.18.0.2:5004");
  ASSERT_TRUE(endpoint);
  EXPECT_TRUE(endpoint->address.is_v4());
  EXPECT_EQ(endpoint->address.v4(), 0xC6120002u);
  EXPECT_EQ(endpoint->port, 5004);
  EXPECT_EQ(endpoint->ToString(), "198.18.0.2:5004");
  EXPECT_EQ(*endpoint, Endpoint::V4(0xC6120002u, 5004));
}

TEST(EndpointTest, ParsesAndFormatsIpv6) {
  const std::optional<Endpoint> endpoint = Endpoint::Parse("[2001:db8::1]:443");
  ASSERT_TRUE(endpoint);
  EXPECT_TRUE(endpoint->address.is_v6());
  EXPECT_EQ(endpoint->ToString(), "[2001:db8::1]:443");
  EXPECT_EQ(Endpoint::Parse("[::]:0")->address.is_unspecified(), true);
}

TEST(EndpointTest, TreatsV4MappedAsIpv4) {
  const std::optional<IpAddress> address = IpAddress::Parse("::ffff:10.1.2.3");
  ASSERT_TRUE(address);
  EXPECT_EQ(*address, *IpAddress::Parse("10.1.2.3"));
}

TEST(EndpointTest, RejectsMalformedText) {
  for (const char* text : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3:5", "::1:5", "[::1]5",
                           "[::1]:x", "host:80"}) {
    EXPECT_FALSE(Endpoint::Parse(text)) << text;
  }
}

TEST(EndpointTest, RoundTripsThroughSockaddr) {
  for (const char* text : {"127.0.0.1:9", "[::1]:65535"}) {
    const Endpoint endpoint = *Endpoint::Parse(text);
    sockaddr_storage storage;
    const int family = endpoint.address.is_v4() ? AF_INET : AF_INET6;
    const socklen_t length = EndpointToSockaddr(endpoint, family, &storage);
    ASSERT_GT(length, 0u);
    EXPECT_EQ(EndpointFromSockaddr(reinterpret_cast<sockaddr*>(&storage), length), endpoint);
  }
}

TEST(EndpointTest, MapsIpv4ForIpv6SocketsButNotTheReverse) {
  sockaddr_storage storage;
  const Endpoint v4 = *Endpoint::Parse("10.0.0.1:7");
  const socklen_t length = EndpointToSockaddr(v4, AF_INET6, &storage);
  ASSERT_EQ(length, sizeof(sockaddr_in6));
  EXPECT_EQ(EndpointFromSockaddr(reinterpret_cast<sockaddr*>(&storage), length), v4);
  EXPECT_EQ(EndpointToSockaddr(*Endpoint::Parse("[::1]:7"), AF_INET, &storage), 0u);
}

}  // namespace
}  // namespace mgw::io
