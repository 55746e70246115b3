#include "validation.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <regex>

namespace jit::emulators {

std::string lower_camel(std::string_view member) {
  std::string out(member);
  if (!out.empty()) out[0] = char(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

std::string Validator::name(std::string_view member) const { return prefix_ + lower_camel(member); }

void Validator::require(std::string_view member) {
  if (!input_.is_object() || !input_.contains(member) || input_.at(member).is_null())
    errors_.push_back(fmt::format("Value null at '{}' failed to satisfy constraint: Member must not be null",
                                  name(member)));
}

std::optional<std::string> Validator::string(std::string_view member, const StringRule& rule) {
  const std::string name = this->name(member);
  if (!input_.is_object() || !input_.contains(member) || input_.at(member).is_null()) {
    if (rule.required)
      errors_.push_back(fmt::format("Value null at '{}' failed to satisfy constraint: Member must not be null", name));
    return std::nullopt;
  }
  const auto& value = input_.at(member);
  if (!value.is_string()) {
    errors_.push_back(fmt::format("Value at '{}' failed to satisfy constraint: Member must be a string", name));
    return std::nullopt;
  }
  const std::string text = value.get<std::string>();
  const size_t before = errors_.size();
  if (text.size() < rule.min)
    errors_.push_back(fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have length greater "
                                  "than or equal to {}", text, name, rule.min));
  if (rule.max > 0 && text.size() > rule.max)
    errors_.push_back(fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have length less "
                                  "than or equal to {}", text, name, rule.max));
  if (!rule.pattern.empty() && !std::regex_match(text, std::regex(std::string(rule.pattern))))
    errors_.push_back(fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must satisfy regular "
                                  "expression pattern: {}", text, name, rule.pattern));
  if (!rule.one_of.empty() && std::find(rule.one_of.begin(), rule.one_of.end(), text) == rule.one_of.end())
    errors_.push_back(fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must satisfy enum value "
                                  "set: [{}]", text, name, fmt::join(rule.one_of, ", ")));
  if (errors_.size() != before) return std::nullopt;
  return text;
}

std::optional<long long> Validator::integer(std::string_view member, long long min, long long max) {
  if (!input_.is_object() || !input_.contains(member) || input_.at(member).is_null()) return std::nullopt;
  const auto& value = input_.at(member);
  const std::string name = this->name(member);
  if (!value.is_number_integer()) {
    errors_.push_back(fmt::format("Value at '{}' failed to satisfy constraint: Member must be an integer", name));
    return std::nullopt;
  }
  return in_range(name, value.get<long long>(), min, max);
}

std::optional<long long> Validator::in_range(const std::string& name, long long n, long long min, long long max) {
  if (n < min) {
    errors_.push_back(fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value greater "
                                  "than or equal to {}", n, name, min));
    return std::nullopt;
  }
  if (n > max) {
    errors_.push_back(fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value less "
                                  "than or equal to {}", n, name, max));
    return std::nullopt;
  }
  return n;
}

std::optional<long long> Validator::integer_text(std::string_view member, long long min, long long max) {
  if (!input_.is_object() || !input_.contains(member) || !input_.at(member).is_string()) return integer(member, min, max);
  const std::string text = input_.at(member).get<std::string>();
  char* end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    errors_.push_back(fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must be an integer", text, name(member)));
    return std::nullopt;
  }
  return in_range(name(member), n, min, max);
}

nlohmann::json form_input(const std::map<std::string, std::string>& form) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : form) out[k] = v;
  return out;
}

std::string Validator::message() const {
  return fmt::format("{} validation error{} detected: {}", errors_.size(), errors_.size() == 1 ? "" : "s",
                     fmt::join(errors_, "; "));
}

}  // namespace jit::emulators
