// The composition root hands out the store's named leases: what the provider serialises its
// permission-set policy writes with (issue 14), and the step-up state (issue 15).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/runtime.h"

namespace jit {
namespace {

TEST(RuntimeLocks, AreTheSqliteStoresOwnAndSharedWithAnotherRuntimeOnTheFile) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / fmt::format("jit-runtime-locks-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const RuntimeOptions options{.config_flag = "", .store_flag = "sqlite:" + (dir / "jit.db").string()};
  auto first = Runtime::build(options);
  ASSERT_TRUE(first) << first.error().message;
  auto second = Runtime::build(options);
  ASSERT_TRUE(second) << second.error().message;
  const TimePoint until = (*first)->clock().now() + std::chrono::minutes(1);
  EXPECT_EQ((*first)->locks().try_lock("lock#ps-1", "instance-a", until).value_or(false), true);
  EXPECT_EQ((*second)->locks().try_lock("lock#ps-1", "instance-b", until).value_or(true), false);
  // The step-up state is the store's too: a credential enrolled through one runtime is seen by the other.
  ASSERT_TRUE((*first)->step_up_store().add_credential({.credential_id = "cred-1", .user_id = "U1"}));
  EXPECT_EQ((*second)->step_up_store().find_credential("cred-1").value_or(WebAuthnCredential{}).user_id, "U1");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jit
