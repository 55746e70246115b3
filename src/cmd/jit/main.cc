#include <exception>
#include <iostream>

#include "cmd/jit/cli.h"

int main(int argc, char** argv) {
  try {
    return jit::run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "jit: " << e.what() << "\n";
    return jit::kExitFailure;
  }
}
