// The shape of a JSON answer, for comparing the emulator's replies with moto's or AWS's.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace jit::emulators {

// The members of `j` (recursively, "A.B"), leaving out nulls: what a client can rely on. The
// members named in `opaque` are listed but not entered (documents whose contents differ by design).
inline std::set<std::string> json_shape(const nlohmann::json& j, const std::set<std::string>& opaque = {},
                                        const std::string& prefix = "") {
  std::set<std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [key, value] : j.items()) {
    if (value.is_null()) continue;
    out.insert(prefix + key);
    if (!opaque.contains(key))
      for (auto& inner : json_shape(value, opaque, prefix + key + ".")) out.insert(inner);
  }
  return out;
}

}  // namespace jit::emulators
