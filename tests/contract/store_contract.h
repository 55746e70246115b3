// The contract of the Store port (ports/store.h) as one GoogleTest suite. Every backend must pass
// it; a backend is checked by instantiating the suite with a factory of fresh, empty stores:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, testing::Values(StoreBackend{"sqlite", [] { ... }}));
//
// Orders the port leaves open (in_flight, holding_access) are compared as sets.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "ports/store.h"

namespace jit {

struct StoreBackend {
  std::string name;  // ends the test names: "Sqlite/StoreContract.DuplicateIdIsConflict/sqlite"
  // Returns a new store with no requests and no audit events; called once per test.
  std::function<std::unique_ptr<Store>()> make;

  // How GoogleTest (and so CTest) prints the parameter in test names.
  friend void PrintTo(const StoreBackend& backend, std::ostream* out) { *out << backend.name; }
};

class StoreContract : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr);
  }

  Store& store() { return *store_; }

 private:
  std::unique_ptr<Store> store_;
};

}  // namespace jit
