#include "mgw/dp/simulcast_selector.h"

#include <gtest/gtest.h>

#include <array>

namespace mgw::dp {
namespace {

const std::array<EncodingChoice, 3> kAllActive = {
    EncodingChoice{150'000, true}, EncodingChoice{500'000, true}, EncodingChoice{1'500'000, true}};

TEST(SimulcastSelectorTest, PicksHighestThatFits) {
  EXPECT_EQ(SelectEncoding(kAllActive, 2'000'000), 2);
  EXPECT_EQ(SelectEncoding(kAllActive, 1'500'000), 2);
  EXPECT_EQ(SelectEncoding(kAllActive, 1'499'999), 1);
  EXPECT_EQ(SelectEncoding(kAllActive, 600'000), 1);
  EXPECT_EQ(SelectEncoding(kAllActive, 150'000), 0);
}

TEST(SimulcastSelectorTest, TooSmallBudgetGetsLowest) {
  EXPECT_EQ(SelectEncoding(kAllActive, 1), 0);
}

TEST(SimulcastSelectorTest, ZeroBudgetPauses) {
  EXPECT_EQ(SelectEncoding(kAllActive, 0), kNoEncoding);
}

TEST(SimulcastSelectorTest, SkipsInactiveEncodings) {
  std::array<EncodingChoice, 3> e = kAllActive;
  e[2].active = false;
  EXPECT_EQ(SelectEncoding(e, 2'000'000), 1);
  e[0].active = false;
  EXPECT_EQ(SelectEncoding(e, 100'000), 1);  // lowest active
  e[1].active = false;
  EXPECT_EQ(SelectEncoding(e, 2'000'000), kNoEncoding);
}

TEST(SimulcastSelectorTest, OrderOfEncodingsDoesNotMatter) {
  const std::array<EncodingChoice, 3> reversed = {EncodingChoice{1'500'000, true},
                                                  EncodingChoice{500'000, true},
                                                  EncodingChoice{150'000, true}};
  EXPECT_EQ(SelectEncoding(reversed, 600'000), 1);
  EXPECT_EQ(SelectEncoding(reversed, 10), 2);
  EXPECT_EQ(SelectEncoding(reversed, 5'000'000), 0);
}

}  // namespace
}  // namespace mgw::dp
