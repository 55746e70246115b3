// parse_duration (policy files and /jit text): never crashes, accepts only what it promises, and
// what it accepts survives format_duration and parses back to the same value.
#include "core/duration.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  const auto text = fuzz::as_text(data, size);
  auto parsed = parse_duration(text);
  if (!parsed) {
    fuzz::check(!parsed.error().message.empty(), "an error says what was expected");
    return 0;
  }
  fuzz::check(parsed->count() > 0, "a parsed duration is positive");
  fuzz::check(parsed->count() <= 366LL * 24 * 3600, "a parsed duration is at most 366 days");
  const std::string canonical = format_duration(*parsed);
  auto again = parse_duration(canonical);
  fuzz::check(again && *again == *parsed, "format_duration's text parses back to the same duration");
  return 0;
}
