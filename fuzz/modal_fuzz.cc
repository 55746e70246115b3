// The views of view_submission and block_actions payloads (slack/modal.h), whatever their shape:
// choice_of, read_submission and read_deny_submission never throw, and a submission they accept
// holds every required field within its limit.
#include "core/limits.h"
#include "fuzz_support.h"
#include "slack/modal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jit;
  const auto view = nlohmann::json::parse(fuzz::as_text(data, size), nullptr, /*allow_exceptions=*/false);
  if (view.is_discarded()) return 0;
  (void)slack::choice_of(view);
  if (auto values = slack::read_submission(view)) {
    fuzz::check(!values->account.empty() && !values->role.empty() && !values->duration.empty(),
                "an accepted submission names account, role and duration");
    fuzz::check(values->reason.size() <= limits::kMaxReasonLength * 4, "an accepted reason is bounded");
  } else {
    fuzz::check(!values.error().empty(), "a refused submission says which field is wrong");
  }
  if (auto reason = slack::read_deny_submission(view))
    fuzz::check(reason->size() <= limits::kMaxDenyReasonLength * 4, "an accepted deny reason is bounded");
  return 0;
}
