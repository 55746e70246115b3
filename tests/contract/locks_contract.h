// The contract of the Locks port (ports/lock.h) as one GoogleTest suite, run against every store
// that is also Locks. A backend gives a way to make a fresh, empty database and to open handles on
// it, each as another process would (its own connection), whose locks lapse by the clock given:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, LocksContract, testing::Values(LocksBackend{"sqlite", ...}));
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "fakes/manual_clock.h"
#include "ports/lock.h"

namespace jit {

struct LocksBackend {
  std::string name;
  // Makes a fresh database; each call of the function returned opens one more handle on it (null,
  // and a test failure, when it cannot). The handles read time from `clock`, which outlives them.
  std::function<std::function<std::unique_ptr<Locks>()>(const Clock& clock)> fresh;

  friend void PrintTo(const LocksBackend& backend, std::ostream* out) { *out << backend.name; }
};

class LocksContract : public ::testing::TestWithParam<LocksBackend> {
 protected:
  void SetUp() override {
    open_ = GetParam().fresh(clock_);
    first_ = open_();
    ASSERT_NE(first_, nullptr);
  }

  // A handle opened in SetUp, and a way to open more on the same database.
  Locks& locks() { return *first_; }
  std::unique_ptr<Locks> another_handle() { return open_(); }

  ManualClock clock_;

 private:
  std::function<std::unique_ptr<Locks>()> open_;
  std::unique_ptr<Locks> first_;
};

}  // namespace jit
