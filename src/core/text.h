// ASCII text helpers for protocol work (header names, config keys, hosts): the one copy.
// For what people type (reasons, tickets), see the Unicode-aware rules in core/policy.cc.
#pragma once

#include <string>
#include <string_view>

namespace jit::text {

// `s` without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s);
// `s` with A-Z made a-z.
std::string to_lower(std::string_view s);
// Equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

}  // namespace jit::text
