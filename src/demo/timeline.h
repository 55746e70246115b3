// The story of `jit demo` as it prints it: scene titles, what people do, what appeared in Slack
// and AWS since the last look (DemoWorld::take_new), lines the story measured itself, and checks,
// each with the seconds since the demo started. Not thread-safe: the story runs on one thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "demo/demo_world.h"

namespace jit::demo {

using SystemTime = std::chrono::system_clock::time_point;

// "17:21:47" (UTC), or "17:21:47.101" with millis.
std::string clock_time(SystemTime t, bool millis = false);

class Timeline {
 public:
  // `world` is looked at (take_new) before every line printed; it must outlive the timeline.
  Timeline(DemoWorld& world, SystemTime started) : world_(world), started_(started) {}

  // Seconds from the start to `t`.
  double elapsed(SystemTime t) const;
  // A new scene: what happened so far, then its title.
  void scene(const std::string& title);
  // Someone does something (now).
  void act(const std::string& who, const std::string& what);
  // Something the story observed itself at `at` (its own measurement, not a take_new line),
  // printed in time order among what appeared since the last look.
  void note(SystemTime at, const std::string& text);
  // What appeared in Slack and AWS since the last look, with `also`, in time order.
  void show(std::vector<Happening> also = {});
  // Prints "ok" or "FAILED" and what was checked; returns `ok`.
  bool check(bool ok, const std::string& what);

  int checks() const { return checks_; }
  int failures() const { return failures_; }

 private:
  DemoWorld& world_;
  const SystemTime started_;
  int checks_ = 0;
  int failures_ = 0;
};

}  // namespace jit::demo
