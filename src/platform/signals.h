// Signals taken by one thread, with sigwait, so that no handler ever runs in an arbitrary thread.
// Construct a SignalWaiter in main before any thread starts: the signals are blocked there, every
// later thread inherits the mask, and wait() is the only place they arrive.
#pragma once

#include <csignal>
#include <initializer_list>

namespace jit {

class SignalWaiter {
 public:
  // Blocks `signals` in the calling thread (and so in every thread it starts afterwards).
  explicit SignalWaiter(std::initializer_list<int> signals);
  // The next of the signals, waiting for it.
  int wait() const;
  // Sends `signal` (one of ours) to this process, e.g. to wake the waiting thread.
  static void raise_in_process(int signal);

 private:
  sigset_t set_;
};

}  // namespace jit
