// The test helpers themselves: child processes and ports.
#include "support/process.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>
#include <unistd.h>
#include <sys/wait.h>

namespace jit::testing {
namespace {

using namespace std::chrono_literals;

TEST(Process, MissingProgramIsNotFound) {
  auto p = Process::spawn({"no-such-program-jit"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::not_found);
  EXPECT_NE(p.error().message.find("no-such-program-jit"), std::string::npos);
}

TEST(Process, StopTerminatesAndReaps) {
  auto p = Process::spawn({"sleep", "30"});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE((*p)->running());
  const auto start = std::chrono::steady_clock::now();
  const int status = (*p)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_FALSE((*p)->running());
  EXPECT_EQ((*p)->stop(), status);  // idempotent
}

TEST(Process, EnvironmentAndOutputFile) {
  const std::string out = "/tmp/jit_process_test." + std::to_string(::getpid()) + ".log";
  auto p = Process::spawn({"sh", "-c", "echo \"$JIT_PROCESS_TEST\"; exit 3"},
                          {.env = {{"JIT_PROCESS_TEST", "hello"}}, .output_file = out});
  ASSERT_TRUE(p) << p.error().message;
  while ((*p)->running()) std::this_thread::sleep_for(5ms);
  const int status = (*p)->stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status;
  std::ifstream file(out);
  std::string line;
  std::getline(file, line);
  EXPECT_EQ(line, "hello");
  std::remove(out.c_str());
}

TEST(Process, WaitForPortFailsFastWhenTheProcessExits) {
  auto p = Process::spawn({"true"});
  ASSERT_TRUE(p) << p.error().message;
  const auto start = std::chrono::steady_clock::now();
  auto ready = (*p)->wait_for_port(free_port(), 10s);
  ASSERT_FALSE(ready);
  EXPECT_NE(ready.error().message.find("exited"), std::string::npos) << ready.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Process, WaitForHttpSeesAServer) {
  const auto port = free_port();
  auto p = Process::spawn({"python3", "-m", "http.server", "--bind", "127.0.0.1", std::to_string(port)},
                          {.output_file = "/dev/null"});
  ASSERT_TRUE(p) << p.error().message;
  auto ready = (*p)->wait_for_http(port, "/", 20s);
  EXPECT_TRUE(ready) << ready.error().message;
}

TEST(FreePort, IsALoopbackPort) { EXPECT_GT(free_port(), 0); }

}  // namespace
}  // namespace jit::testing
