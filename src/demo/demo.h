// `jit demo`: the real `jit serve` against the Slack and AWS emulators on loopback, driven through
// a scripted story.
#pragma once

#include <string>

namespace jit::demo {

struct DemoOptions {
  // sqlite:PATH, a new file that keeps the state afterwards; empty: a temporary store.
  std::string store_url;
  // Afterwards, everything stays up until SIGINT/SIGTERM.
  bool keep_running = false;
  // Where jit-slack-emulator and jit-aws-emulator are; empty: $JIT_EMULATORS_DIR, else beside this
  // program or in its build tree (emulator_process.h, find_emulators).
  std::string emulators_dir;
  // One more scene: a break-glass approval confirmed with security keys on the step-up page, in a
  // real headless Chromium (step_up_scene.h).
  bool step_up = false;
};

// Runs the emulator executables and `jit serve` as child processes and plays the story. Returns an
// exit code: 0 only when every check passed, 2 (usage) when an emulator executable is missing or
// the store is not a new sqlite file.
int run_demo(const DemoOptions& options);

}  // namespace jit::demo
