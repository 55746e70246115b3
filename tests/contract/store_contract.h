// The contract of the Store port (ports/store.h) as one GoogleTest suite. Every backend must pass
// it; a backend is checked by instantiating the suite with a factory of fresh, empty stores that
// seal audit events with the keyring given:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract,
//                            testing::Values(StoreBackend{"sqlite", [](const audit::Keyring& keys) { ... }}));
//
// Orders the port leaves open (in_flight, holding_access) are compared as sets.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "audit/keyring.h"
#include "ports/store.h"

namespace jit {

struct StoreBackend {
  std::string name;  // ends the test names: "Sqlite/StoreContract.DuplicateIdIsConflict/sqlite"
  // Returns a new store with no requests and no audit events, sealing with `keys`; called once per
  // test with the unkeyed keyring, and again by the tests of the keyed chain.
  std::function<std::unique_ptr<Store>(const audit::Keyring& keys)> make;

  // How GoogleTest (and so CTest) prints the parameter in test names.
  friend void PrintTo(const StoreBackend& backend, std::ostream* out) { *out << backend.name; }
};

class StoreContract : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    store_ = GetParam().make(audit::Keyring::unkeyed());
    ASSERT_NE(store_, nullptr);
  }

  Store& store() { return *store_; }
  // A second new store of this backend, sealing with `keys`; kept until the test ends. Null (and a
  // test failure) when the backend cannot make one.
  Store* keyed_store(const audit::Keyring& keys) {
    keyed_store_ = GetParam().make(keys);
    EXPECT_NE(keyed_store_, nullptr);
    return keyed_store_.get();
  }

 private:
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> keyed_store_;
};

}  // namespace jit
