// load_config (the TOML policy and settings an admin writes, read at start and on SIGHUP): any
// text gives a configuration or errors that each name the source, never a crash or an exception.
#include "core/policy_loader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  auto config = load_config(fuzz::as_text(data, size), "fuzz.toml");
  if (!config) fuzz::check(config.error().message.starts_with("fuzz.toml"), "every error names the source");
  return 0;
}
