#include "fakes/memory_store.h"

#include <gtest/gtest.h>

#include "contract/store_contract.h"
#include "fakes/faulty_store.h"
#include "fakes/requests.h"

namespace jit {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, StoreContract, ::testing::Values(StoreBackend{"memory", [](const audit::Keyring& keys) -> std::unique_ptr<Store> {
                           return std::make_unique<MemoryStore>(keys);
                         }}));

using Method = FaultyStore::Method;

TEST(FaultyStoreTest, FailsTheNextCallsBeforeTheyReachTheStore) {
  MemoryStore inner;
  FaultyStore store(inner);
  const AccessRequest r = testing::new_request("r-1");
  store.fail_next(Method::create_request, 2);  // Errc::unavailable by default
  for (int i = 0; i < 2; ++i) {
    auto failed = store.create_request(r, {.action = "submit"});
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Errc::unavailable);
  }
  EXPECT_FALSE(inner.get_request("r-1"));
  EXPECT_TRUE(inner.audit_events({}).value().empty());

  EXPECT_TRUE(store.create_request(r, {.action = "submit"}));
  EXPECT_EQ(store.calls(Method::create_request), 3);
  EXPECT_EQ(store.calls(Method::update_request), 0);
}

TEST(FaultyStoreTest, FailingAfterTheCallReportsAnErrorForAWriteThatHappened) {
  MemoryStore inner;
  FaultyStore store(inner);
  AccessRequest r = store.create_request(testing::new_request("r-1"), {.action = "submit"}).value();
  r.state = State::cancelled;
  store.fail_next(Method::update_request, 1, Error::Unavailable("timed out"), FaultyStore::When::after);
  auto lost_reply = store.update_request(r, {.action = "cancel"});
  ASSERT_FALSE(lost_reply);
  EXPECT_EQ(lost_reply.error().code, Errc::unavailable);
  EXPECT_EQ(inner.get_request("r-1").value().state, State::cancelled);

  // Retrying the same write now loses to the one that happened.
  auto retry = store.update_request(r, {.action = "cancel"});
  ASSERT_FALSE(retry);
  EXPECT_EQ(retry.error().code, Errc::conflict);
}

TEST(FaultyStoreTest, FailNextZeroCancelsAnInstruction) {
  MemoryStore inner;
  FaultyStore store(inner);
  store.fail_next(Method::audit_head, 3);
  store.fail_next(Method::audit_head, 0);
  EXPECT_TRUE(store.audit_head());
}

}  // namespace
}  // namespace jit
