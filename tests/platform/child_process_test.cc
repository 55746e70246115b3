// Child processes (platform/child_process.h): starting, output, environment, stopping, reaping.
#include "platform/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "support/free_port.h"

namespace jit {
namespace {

using namespace std::chrono_literals;
using testing::free_port;

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/jit_child_process_test." + std::to_string(::getpid()) + "." + name;
}

TEST(ChildProcess, MissingProgramIsNotFound) {
  auto p = ChildProcess::spawn({"no-such-program-jit"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::not_found);
  EXPECT_NE(p.error().message.find("no-such-program-jit"), std::string::npos);

  auto by_path = ChildProcess::spawn({"/no/such/dir/jit-slack-emulator"});
  ASSERT_FALSE(by_path);
  EXPECT_EQ(by_path.error().code, Errc::not_found);
  EXPECT_NE(by_path.error().message.find("/no/such/dir/jit-slack-emulator"), std::string::npos);
}

TEST(ChildProcess, AProgramThatCannotBeExecutedIsReportedAtSpawn) {
  const std::string path = temp_path("not-a-program");
  std::ofstream(path) << "neither ELF nor #!\n";
  ::chmod(path.c_str(), 0755);
  auto p = ChildProcess::spawn({path});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::unavailable);
  EXPECT_NE(p.error().message.find(path), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("Exec format error"), std::string::npos) << p.error().message;
  std::remove(path.c_str());
}

TEST(ChildProcess, StopTerminatesAndReaps) {
  auto p = ChildProcess::spawn({"sleep", "30"});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE((*p)->running());
  EXPECT_FALSE((*p)->wait_exit(0ms));
  const auto start = std::chrono::steady_clock::now();
  const int status = (*p)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_EQ(ChildProcess::exit_code(status), -1);
  EXPECT_FALSE((*p)->running());
  EXPECT_EQ((*p)->stop(), status);  // idempotent
}

TEST(ChildProcess, SignalsBlockedInTheParentAreNotInherited) {
  // `jit demo` blocks SIGTERM in every thread (SignalWaiter); its children must still stop on it.
  sigset_t term, before;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &term, &before);
  auto p = ChildProcess::spawn({"sleep", "30"});
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  ASSERT_TRUE(p) << p.error().message;
  const int status = (*p)->stop(5s);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
}

TEST(ChildProcess, EnvironmentAndOutputFile) {
  const std::string out = temp_path("log");
  ::setenv("JIT_CHILD_TEST_DROPPED", "from the parent", 1);
  ::setenv("JIT_CHILD_TEST_KEPT", "kept", 1);
  auto p = ChildProcess::spawn(
      {"sh", "-c", "echo \"$JIT_PROCESS_TEST\"; echo \"[$JIT_CHILD_TEST_DROPPED]\" >&2; echo $JIT_CHILD_TEST_KEPT; exit 3"},
      {.env = {{"JIT_PROCESS_TEST", "hello"}}, .unset_env_prefixes = {"JIT_CHILD_TEST_D"}, .output_file = out});
  ::unsetenv("JIT_CHILD_TEST_DROPPED");
  ::unsetenv("JIT_CHILD_TEST_KEPT");
  ASSERT_TRUE(p) << p.error().message;
  const auto status = (*p)->wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(ChildProcess::exit_code(*status), 3) << *status;
  EXPECT_FALSE((*p)->running());
  std::ifstream file(out);
  std::string first, second, third;
  std::getline(file, first);
  std::getline(file, second);
  std::getline(file, third);
  EXPECT_EQ(first, "hello");
  EXPECT_EQ(second, "[]");  // stderr goes to the same file
  EXPECT_EQ(third, "kept");
  std::remove(out.c_str());
}

TEST(ChildProcess, ReadsTheLinesItPrints) {
  auto p = ChildProcess::spawn({"sh", "-c", "printf 'http://127.0.0.1:1234\\nsecond'; echo ' line'; exec sleep 30"},
                               {.pipe_stdout = true});
  ASSERT_TRUE(p) << p.error().message;
  auto url = (*p)->read_line(10s);
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(*url, "http://127.0.0.1:1234");
  auto second = (*p)->read_line(10s);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*second, "second line");
  // Nothing more: a bounded wait, naming the program.
  auto none = (*p)->read_line(50ms);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("printed no line within 50 ms"), std::string::npos) << none.error().message;
}

TEST(ChildProcess, ReadLineFailsAtOnceWhenTheProgramExits) {
  auto p = ChildProcess::spawn({"sh", "-c", "echo no port >&2; exit 2"}, {.output_file = "/dev/null", .pipe_stdout = true});
  ASSERT_TRUE(p) << p.error().message;
  const auto start = std::chrono::steady_clock::now();
  auto line = (*p)->read_line(20s);
  ASSERT_FALSE(line);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(line.error().message.find("sh exited (code 2) before printing a line"), std::string::npos)
      << line.error().message;
}

TEST(ChildProcess, StopWithParentEndsTheChildWhenTheParentDies) {
  // A parent (forked from this test) spawns `sleep 30` with stop_with_parent, reports its pid and
  // dies at once; the kernel then sends the sleep SIGTERM.
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    auto p = ChildProcess::spawn({"sleep", "30"}, {.stop_with_parent = true});
    const pid_t pid = p ? (*p)->pid() : -1;
    [[maybe_unused]] auto written = ::write(report[1], &pid, sizeof pid);
    std::_Exit(0);  // no destructor: only the kernel stops the child
  }
  ::close(report[1]);
  pid_t child = -1;
  ASSERT_EQ(::read(report[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  ::close(report[0]);
  ::waitpid(parent, nullptr, 0);
  ASSERT_GT(child, 0);
  // Gone, or a zombie that nobody reaps yet (pid 1 of a container may not).
  auto ended = [child] {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string pid, command, state;
    return !(stat >> pid >> command >> state) || state == "Z";
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!ended() && std::chrono::steady_clock::now() < deadline) ::usleep(10000);  // an exit, not a timer
  EXPECT_TRUE(ended()) << "sleep (pid " << child << ") outlived its parent";
}

TEST(ChildProcess, WaitForPortFailsFastWhenTheProcessExits) {
  auto p = ChildProcess::spawn({"true"});
  ASSERT_TRUE(p) << p.error().message;
  const auto start = std::chrono::steady_clock::now();
  auto ready = (*p)->wait_for_port(free_port(), 10s);
  ASSERT_FALSE(ready);
  EXPECT_NE(ready.error().message.find("exited"), std::string::npos) << ready.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ChildProcess, WaitForHttpSeesAServer) {
  const auto port = free_port();
  auto p = ChildProcess::spawn({"python3", "-m", "http.server", "--bind", "127.0.0.1", std::to_string(port)},
                               {.output_file = "/dev/null"});
  ASSERT_TRUE(p) << p.error().message;
  auto ready = (*p)->wait_for_http(port, "/", 20s);
  EXPECT_TRUE(ready) << ready.error().message;
}

TEST(FreePort, IsALoopbackPort) { EXPECT_GT(free_port(), 0); }

}  // namespace
}  // namespace jit
