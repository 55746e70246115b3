// The contract of the StepUpStore port (ports/step_up_store.h) as one GoogleTest suite, run against
// every store that is also a StepUpStore, and the in-memory fake. A backend gives a way to make a
// fresh, empty database and to open handles on it, each as another process would (its own
// connection; the fake hands out the one store):
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StepUpStoreContract, testing::Values(StepUpBackend{"sqlite", ...}));
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "ports/step_up_store.h"

namespace jit {

struct StepUpBackend {
  std::string name;
  // Makes a fresh database; each call of the function returned opens one more handle on it (null,
  // and a test failure, when it cannot).
  std::function<std::function<std::shared_ptr<StepUpStore>()>()> fresh;

  friend void PrintTo(const StepUpBackend& backend, std::ostream* out) { *out << backend.name; }
};

class StepUpStoreContract : public ::testing::TestWithParam<StepUpBackend> {
 protected:
  void SetUp() override {
    open_ = GetParam().fresh();
    first_ = open_();
    ASSERT_NE(first_, nullptr);
  }

  // A handle opened in SetUp, and a way to open more on the same database.
  StepUpStore& store() { return *first_; }
  std::shared_ptr<StepUpStore> another_handle() { return open_(); }

 private:
  std::function<std::shared_ptr<StepUpStore>()> open_;
  std::shared_ptr<StepUpStore> first_;
};

}  // namespace jit
