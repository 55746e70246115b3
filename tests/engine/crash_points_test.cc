// The crash switch of the process-level crash tests: honoured in this (test) build, and only at
// the named point.
#include "engine/crash_points.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

namespace jit {
namespace {

TEST(FaultInjection, KillsTheProcessAtTheNamedPointOnly) {
  ASSERT_TRUE(fault_injection_enabled()) << "test builds are made with JIT_FAULT_INJECTION";
  EXPECT_EXIT(
      {
        setenv("JIT_CRASH_AT", "after_write:begin_grant", 1);
        crash_point("after_write:approve");  // not this one
        crash_point("after_write:begin_grant");
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGKILL), "");
  EXPECT_EXIT(
      {
        unsetenv("JIT_CRASH_AT");
        crash_point("after_write:begin_grant");
        std::exit(7);
      },
      ::testing::ExitedWithCode(7), "");
}

}  // namespace
}  // namespace jit
