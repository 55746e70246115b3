// The fake of unit tests answers as the stores do: the StepUpStore contract, on one shared store.
#include "fakes/memory_step_up_store.h"

#include <gtest/gtest.h>

#include "contract/step_up_store_contract.h"

namespace jit {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, StepUpStoreContract, ::testing::Values(StepUpBackend{"memory", [] {
                           auto store = std::make_shared<MemoryStepUpStore>();
                           return [store]() -> std::shared_ptr<StepUpStore> { return store; };
                         }}));

}  // namespace
}  // namespace jit
