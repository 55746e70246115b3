// scan_checkpoints (audit/checkpoint.h: any text an auditor collects, a Slack or CloudWatch export):
// never crashes, keeps its bounds, and every checkpoint it finds is well formed and is found again,
// unchanged, in its own line.
#include "audit/checkpoint.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  const auto scan = audit::scan_checkpoints(fuzz::as_text(data, size));
  fuzz::check(scan.found.size() <= audit::kMaxCheckpoints, "at most kMaxCheckpoints are kept");
  fuzz::check(scan.found.size() <= size / 40 + 1, "each checkpoint takes text of its own");
  for (const auto& c : scan.found) {
    fuzz::check(c.seq >= 1, "a checkpoint's seq is at least 1");
    fuzz::check(audit::is_head_text(c.head), "a checkpoint's head is one-line text");
    fuzz::check(c.key_id.size() == 16, "a key id is 16 hex digits");
    fuzz::check(c.signature.size() == 64, "a signature is 64 bytes");
    const auto again = audit::scan_checkpoints(audit::to_line(c));
    fuzz::check(again.found.size() == 1 && again.found[0] == c, "a found checkpoint's line reads back the same");
  }
  return 0;
}
