// Policy documents as IAM measures and checks them: UTF-8 code points, the characters that count
// toward IAM's size quotas (whitespace excluded), and the models' policyDocumentType pattern.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace jit::emulators {

// The code points of UTF-8 `text`; nullopt when it is not valid UTF-8.
std::optional<std::vector<char32_t>> code_points(std::string_view text);

// The characters of `text` that are not JSON whitespace (space, tab, CR, LF): what IAM's policy
// size quotas count. Bytes when `text` is not valid UTF-8.
std::size_t non_whitespace_characters(std::string_view text);

// Whether every character of `text` is in the models' [\u0009\u000A\u000D\u0020-\u00FF] (false
// for invalid UTF-8).
bool in_policy_character_set(std::string_view text);

}  // namespace jit::emulators
