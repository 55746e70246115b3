// Reading fields of JSON that Slack sent, without trusting its shape: a missing field, a field of
// another type, or a parent that is not an object all read as absent. Nothing here throws
// (nlohmann's value() and get() throw on a wrong type).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace jit::slack {

// The member `key` of `object`, or nullptr when `object` is not an object or has no such member.
inline const nlohmann::json* member(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// The member reached through `path` (object keys), or nullptr.
inline const nlohmann::json* member_at(const nlohmann::json& root, std::initializer_list<std::string_view> path) {
  const nlohmann::json* at = &root;
  for (const auto key : path)
    if (!(at = member(*at, key))) return nullptr;
  return at;
}

// The string at `path`, or "" when it is absent or not a string.
inline std::string string_at(const nlohmann::json& root, std::initializer_list<std::string_view> path) {
  const nlohmann::json* at = member_at(root, path);
  return at && at->is_string() ? at->get<std::string>() : std::string();
}

}  // namespace jit::slack
