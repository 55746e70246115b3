#include "platform/signals.h"

#include <pthread.h>
#include <unistd.h>

namespace jit {

SignalWaiter::SignalWaiter(std::initializer_list<int> signals) {
  sigemptyset(&set_);
  for (int s : signals) sigaddset(&set_, s);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int SignalWaiter::wait() const {
  int signal = 0;
  while (sigwait(&set_, &signal) != 0) {
  }
  return signal;
}

void SignalWaiter::raise_in_process(int signal) { kill(getpid(), signal); }

}  // namespace jit
