#include "core/pattern.h"

#include <re2/re2.h>

namespace jit {

Result<Pattern> Pattern::compile(std::string_view text) {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes back to the caller, not to stderr
  auto re = std::make_shared<const RE2>(re2::StringPiece(text.data(), text.size()), options);
  if (!re->ok()) return fail(Error::Invalid(re->error()));
  return Pattern(std::string(text), std::move(re));
}

bool Pattern::full_match(std::string_view input) const {
  return RE2::FullMatch(re2::StringPiece(input.data(), input.size()), *re_);
}

}  // namespace jit
