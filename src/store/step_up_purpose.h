// How both stores spell a StepUpPurpose: "enroll" and "approve", in a SQLite column and in a
// DynamoDB attribute alike.
#pragma once

#include <optional>
#include <string_view>

#include "ports/step_up_store.h"

namespace jit {

inline std::string_view purpose_name(StepUpPurpose purpose) {
  return purpose == StepUpPurpose::enroll ? "enroll" : "approve";
}

// nullopt for any other text (a row this program did not write).
inline std::optional<StepUpPurpose> parse_purpose(std::string_view name) {
  if (name == "enroll") return StepUpPurpose::enroll;
  if (name == "approve") return StepUpPurpose::approve;
  return std::nullopt;
}

}  // namespace jit
