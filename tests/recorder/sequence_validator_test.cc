#include "mgw/rec/sequence_validator.h"

#include <gtest/gtest.h>

namespace mgw::rec {
namespace {

using Verdict = SequenceValidator::Verdict;

TEST(SequenceValidatorTest, ProbationNeedsTwoSequentialPackets) {
  SequenceValidator v;
  EXPECT_EQ(v.Update(100).verdict, Verdict::kProbation);
  EXPECT_FALSE(v.validated());
  const auto r = v.Update(101);
  EXPECT_EQ(r.verdict, Verdict::kAccepted);
  EXPECT_TRUE(v.validated());
  const auto next = v.Update(102);
  EXPECT_EQ(next.extended, r.extended + 1);
}

TEST(SequenceValidatorTest, NonSequentialProbationRestarts) {
  SequenceValidator v;
  EXPECT_EQ(v.Update(100).verdict, Verdict::kProbation);
  EXPECT_EQ(v.Update(200).verdict, Verdict::kProbation);
  EXPECT_EQ(v.Update(201).verdict, Verdict::kAccepted);
}

TEST(SequenceValidatorTest, WrapAroundKeepsExtendedIncreasing) {
  SequenceValidator v;
  v.Update(65534);
  const uint64_t a = v.Update(65535).extended;
  const uint64_t b = v.Update(0).extended;
  const uint64_t c = v.Update(1).extended;
  EXPECT_EQ(b, a + 1);
  EXPECT_EQ(c, a + 2);
}

TEST(SequenceValidatorTest, ReorderedAcrossWrapExtendsBelow) {
  SequenceValidator v;
  v.Update(65534);
  v.Update(65535);
  const uint64_t after = v.Update(1).extended;  // 0 is late
  const auto late = v.Update(0);
  EXPECT_EQ(late.verdict, Verdict::kAccepted);
  EXPECT_EQ(late.extended, after - 1);
}

TEST(SequenceValidatorTest, LargeJumpIsBadUntilConfirmed) {
  SequenceValidator v;
  v.Update(10);
  const uint64_t before = v.Update(11).extended;
  EXPECT_EQ(v.Update(20000).verdict, Verdict::kBadJump);
  const auto confirmed = v.Update(20001);
  EXPECT_EQ(confirmed.verdict, Verdict::kResynced);
  EXPECT_GT(confirmed.extended, before);
  EXPECT_EQ(v.Update(20002).extended, confirmed.extended + 1);
}

TEST(SequenceValidatorTest, IsolatedJumpDoesNotDisturbStream) {
  SequenceValidator v;
  v.Update(10);
  const uint64_t e11 = v.Update(11).extended;
  EXPECT_EQ(v.Update(40000).verdict, Verdict::kBadJump);
  const auto r = v.Update(12);
  EXPECT_EQ(r.verdict, Verdict::kAccepted);
  EXPECT_EQ(r.extended, e11 + 1);
}

TEST(SequenceValidatorTest, DropoutUnderLimitIsAccepted) {
  SequenceValidator v;
  v.Update(10);
  const uint64_t e = v.Update(11).extended;
  const auto r = v.Update(11 + 2999);
  EXPECT_EQ(r.verdict, Verdict::kAccepted);
  EXPECT_EQ(r.extended, e + 2999);
}

}  // namespace
}  // namespace mgw::rec
