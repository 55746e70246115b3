// Rules for text people type (reasons, tickets): UTF-8 checked, counted in code points, blank in
// Unicode. core/text.h has the ASCII helpers for protocol work.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace jit::user_text {

// The number of code points in `text`; Errc::invalid naming `field` when it is not valid UTF-8
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
Result<std::size_t> code_points(std::string_view field, std::string_view text);

// Refuses `text` when it is not valid UTF-8 or longer than `limit` code points; the message names
// `field` and the limit. Looks at each byte at most once, whatever the length.
Result<> check_length(std::string_view field, std::string_view text, std::size_t limit);

// True when `text` holds only white space: ASCII white space, U+0085, U+00A0, U+1680, U+180E,
// U+2000-U+200B, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF. Invalid UTF-8 is not blank.
bool is_blank(std::string_view text);

// `text` made safe to print on an operator's terminal, keeping valid printable UTF-8 as it is: C0
// controls and DEL become "\x1b"-style escapes (so an ANSI escape sequence shows as text and does
// nothing), C1 controls, line/paragraph separators and bidirectional overrides (U+202A-U+202E,
// U+2066-U+2069) become "\u009b"-style escapes, and each byte of invalid UTF-8 becomes U+FFFD.
std::string printable(std::string_view text);

// The start of printable(text) that fits in `max_bytes`, never cutting an escape or a code point,
// followed by "…" (3 more bytes) when anything was left out: for quoting untrusted text in an error.
std::string printable_excerpt(std::string_view text, std::size_t max_bytes);

}  // namespace jit::user_text
