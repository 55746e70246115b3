// Request validation with AWS's (Coral's) messages: "2 validation errors detected: Value null at
// 'instanceArn' failed to satisfy constraint: Member must not be null; ...". Member names are
// reported in lowerCamelCase, as AWS does.
#pragma once

#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::emulators {

struct StringRule {
  bool required = false;
  std::size_t min = 0;
  std::size_t max = 0;           // 0: no limit
  std::string_view pattern;      // ECMAScript, whole value; empty: any
  std::vector<std::string_view> one_of;  // enum values; empty: any
};

class Validator {
 public:
  explicit Validator(const nlohmann::json& input) : input_(input) {}
  // For a nested structure: members are reported as "<prefix><member>" ("target.roleArn" with
  // prefix "target."); merge its violations into the parent's with `absorb`.
  Validator(const nlohmann::json& input, std::string prefix) : input_(input), prefix_(std::move(prefix)) {}

  // The member's value when it is a valid string; records a violation otherwise.
  std::optional<std::string> string(std::string_view member, const StringRule& rule);
  // An optional integer within [min, max].
  std::optional<long long> integer(std::string_view member, long long min, long long max);
  // An optional integer sent as text (Query-protocol forms: "3600") within [min, max]; text that is
  // not a decimal integer is a violation too.
  std::optional<long long> integer_text(std::string_view member, long long min, long long max);
  // Records a violation of the member's presence ("must not be null").
  void require(std::string_view member);
  void add(std::string message) { errors_.push_back(std::move(message)); }
  // Appends the violations `nested` recorded.
  void absorb(const Validator& nested) { errors_.insert(errors_.end(), nested.errors_.begin(), nested.errors_.end()); }

  bool ok() const { return errors_.empty(); }
  // "N validation error(s) detected: a; b"
  std::string message() const;

 private:
  std::string name(std::string_view member) const;  // prefix_ + lower_camel(member)
  std::optional<long long> in_range(const std::string& name, long long n, long long min, long long max);

  const nlohmann::json& input_;
  std::string prefix_;
  std::vector<std::string> errors_;
};

// "InstanceArn" -> "instanceArn"
std::string lower_camel(std::string_view member);

// A Query-protocol form as a JSON object of strings, for Validator.
nlohmann::json form_input(const std::map<std::string, std::string>& form);

}  // namespace jit::emulators
