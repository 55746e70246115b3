// What identity_center.cc shares with identity_center_cutoff.cc and identity_center_schedule.cc
// (the IdentityCenterProvider's parts): the status tables and small helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "aws/identity_center.h"

namespace jit::aws {

// What differs between the asynchronous operations of sso-admin (an assignment's creation or
// deletion, a permission set's provisioning): the start, its status poll and their members.
struct OperationNames {
  const char* start;           // "CreateAccountAssignment"
  const char* describe;        // "DescribeAccountAssignmentCreationStatus"
  const char* status_member;   // "AccountAssignmentCreationStatus"
  const char* request_member;  // "AccountAssignmentCreationRequestId"
};

namespace detail {

// Whether `text`, lower-cased, contains any of `parts` (lower-case).
bool mentions_any(const std::string& text, std::initializer_list<std::string_view> parts);
// The string member `name` of `object`; "" when absent or not a string.
std::string string_member(const nlohmann::json& object, const char* name);
// Logs `error` (event=identity_center_failed) and returns it: every failure the provider returns.
Error logged(Error error);

}  // namespace detail
}  // namespace jit::aws
