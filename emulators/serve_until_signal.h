// How an emulator runs as a process (jit-aws-emulator, jit-slack-emulator): start it, print its URL
// on stdout once it serves (callers wait for that line), and stop it on SIGTERM or SIGINT.
#pragma once

#include <csignal>
#include <iostream>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "platform/signals.h"

namespace jit::emulators {

// `start` returns Result<std::unique_ptr<E>> for an E with url() and stop(). Call from main before
// any thread starts: the stop signals are blocked first so that every thread inherits the mask and
// sigwait is the only place they arrive. Returns the process's exit code (1: start failed).
template <class Start>
int serve_until_signal(std::string_view program, Start start) {
  const SignalWaiter stop_signals({SIGTERM, SIGINT});

  auto emulator = start();
  if (!emulator) {
    std::cerr << program << ": " << emulator.error().message << "\n";
    return 1;
  }
  std::cout << (*emulator)->url() << std::endl;  // flushed: callers wait for this line
  stop_signals.wait();
  (*emulator)->stop();
  return 0;
}

}  // namespace jit::emulators
