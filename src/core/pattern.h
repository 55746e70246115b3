// An admin-written regular expression (a role's ticket_pattern), matched by RE2 in time linear in
// the input, with no backtracking and no recursion per character: no input, however long, can
// exhaust the stack or the CPU. RE2 syntax: no backreferences or lookaround.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace re2 {
class RE2;
}

namespace jit {

class Pattern {
 public:
  // Errc::invalid with RE2's explanation when RE2 cannot compile `text`.
  static Result<Pattern> compile(std::string_view text);

  // True when the whole of `input` matches. Thread-safe; linear in input.size().
  bool full_match(std::string_view input) const;
  // The pattern as written.
  const std::string& text() const { return text_; }

 private:
  Pattern(std::string text, std::shared_ptr<const re2::RE2> re) : text_(std::move(text)), re_(std::move(re)) {}
  std::string text_;
  std::shared_ptr<const re2::RE2> re_;  // immutable once compiled; shared by copies of the policy
};

}  // namespace jit
