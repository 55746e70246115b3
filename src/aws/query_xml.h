// The XML replies of AWS's Query-protocol services (STS, IAM), read with pugixml: never by string
// search. A reply is `<OperationResponse><OperationResult>...</OperationResult></OperationResponse>`
// or `<ErrorResponse><Error><Type/><Code/><Message/></Error></ErrorResponse>`, in a default
// namespace that the paths below ignore.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace jit::aws {

// Replies larger than this are refused before parsing (a Query reply of ours is a few KiB; IAM's
// largest, a role with its trust policy, stays under 64 KiB).
inline constexpr std::size_t kMaxQueryReplyBytes = 1 << 20;

// One parsed reply. Cheap to move; paths are element names separated by '/', from the root's
// children down ("AssumeRoleWithWebIdentityResult/Credentials/AccessKeyId").
class QueryXml {
 public:
  // Errc::unavailable when `body` is too large or is not well-formed XML (the message says where).
  static Result<QueryXml> parse(std::string_view body);

  QueryXml(QueryXml&&) noexcept;
  QueryXml& operator=(QueryXml&&) noexcept;
  ~QueryXml();

  // The root element's name ("AssumeRoleWithWebIdentityResponse", "ErrorResponse").
  std::string root_name() const;
  // The text of the first element at `path` (entities decoded), or nullopt when there is none.
  std::optional<std::string> text(std::string_view path) const;
  // The text of every element at `path` (e.g. "ListRolesResult/Roles/member/RoleName"), in order.
  std::vector<std::string> texts(std::string_view path) const;

 private:
  struct Impl;
  explicit QueryXml(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The Code and Message of an ErrorResponse, at Error/ (IAM, STS) or Errors/Error/ ("" when absent
// or when `body` is no such reply).
struct QueryError {
  std::string code;
  std::string message;
};
QueryError query_error_of(std::string_view body);

}  // namespace jit::aws
