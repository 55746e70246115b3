// A GoogleTest base for suites that share one moto_server per test process: started before the
// first test, reset before each one, stopped after the last. A missing moto_server fails every
// test of the suite with the install hint; nothing is skipped.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "support/moto.h"

namespace jit::testing {

class MotoSuite : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    auto moto = MotoServer::start();
    if (moto) server() = std::make_unique<MotoServer>(std::move(*moto));
    else start_error() = moto.error().message;
  }
  static void TearDownTestSuite() { server().reset(); }

 protected:
  void SetUp() override {
    ASSERT_TRUE(server()) << "moto_server is required and did not start: " << start_error();
    ASSERT_TRUE(server()->reset()) << "moto_server reset failed";
  }
  static const MotoServer& moto() { return *server(); }

 private:
  static std::unique_ptr<MotoServer>& server() {
    static std::unique_ptr<MotoServer> s;
    return s;
  }
  static std::string& start_error() {
    static std::string e;
    return e;
  }
};

}  // namespace jit::testing
