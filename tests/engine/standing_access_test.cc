// Standing access is never taken over: a grant the requester already holds outside JIT Access is
// refused and left as it is; and the lease is checked against the provider's deadline.
#include "engine/engine_fixture.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;

// Failed before: grant() counted the existing assignment as success, and the revoke at expiry then
// deleted the user's standing access without the audit saying it was there.
TEST_F(EngineTest, AGrantTheRequesterAlreadyHoldsIsRefusedAndLeftInPlace) {
  const Assignment standing{"p-u0dev", "123456789012", kAdminPs};
  provider.add_out_of_band(standing);
  AccessRequest r = submit();
  auto done = engine->approve(r.id, "U0ALICE");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->state, State::failed);
  EXPECT_THAT(done->end_reason, HasSubstr("already holds role admin"));
  EXPECT_THAT(done->end_reason, HasSubstr("left as it is"));
  EXPECT_TRUE(provider.has(standing));
  EXPECT_EQ(provider.deleted(), 0) << "nothing rolled back";
  EXPECT_EQ(provider.calls(MemoryAccessProvider::Op::grant), 0);
  EXPECT_EQ(actions_of(r.id).back(), "grant_failed");
  bool alerted = false;
  for (const auto& line : chat.transcript())
    alerted |= line.kind == ChatLine::Kind::alert && line.text.find("Standing access") != std::string::npos;
  EXPECT_TRUE(alerted);
  expect_audit_ok();
}

TEST_F(EngineTest, AGrantResumedAfterACrashFindsItsOwnAssignmentAndCompletes) {
  provider.fail_next(MemoryAccessProvider::Op::grant, 1, Error::Unavailable("reply lost"));
  AccessRequest r = submit();
  ASSERT_EQ(engine->approve(r.id, "U0ALICE")->state, State::granting);
  provider.add_out_of_band(assignment(read(r.id)));  // the create had landed
  engine->sweep();
  EXPECT_EQ(read(r.id).state, State::active);
}

TEST_F(EngineTest, AFailedListAtGrantTimeIsRetriedNotRefused) {
  provider.fail_next(MemoryAccessProvider::Op::list, 1, Error::Unavailable("AWS is down"));
  AccessRequest r = submit();
  auto done = engine->approve(r.id, "U0ALICE");
  EXPECT_NE(read(r.id).state, State::failed);
  engine->sweep();
  EXPECT_EQ(read(r.id).state, State::active);
}

TEST(LeaseTest, TheLeaseMustExceedTheProviderDeadlineByAQuarter) {
  using std::chrono::milliseconds;
  EXPECT_EQ(minimum_lease(milliseconds(120'000)), Seconds{150});
  EXPECT_EQ(minimum_lease(milliseconds(2'000)), Seconds{3});
  EXPECT_EQ(minimum_lease(milliseconds(0)), Seconds{0});
  // Failed before: a 2 minute lease was accepted against the provider's 120 s deadline.
  auto refused = check_lease(Seconds{120}, milliseconds(120'000));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_THAT(refused.error().message, HasSubstr("--lease 2m30s or more"));
  EXPECT_THAT(refused.error().message, HasSubstr("[aws].call_timeout"));
  EXPECT_TRUE(check_lease(Seconds{120}, milliseconds(90'000)));
  EXPECT_TRUE(check_lease(Seconds{3}, milliseconds(2'000)));
}

}  // namespace
}  // namespace jit::testing
