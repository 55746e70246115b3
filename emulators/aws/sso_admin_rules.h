// The sso-admin model's member rules (tests/data/aws-models/sso-admin), shared by the operations
// in emulator_state.cc and permission_sets.cc.
#pragma once

#include <chrono>
#include <string_view>

#include "emulator_state.h"
#include "validation.h"

namespace jit::emulators::sso_rules {

// The models' patterns (aws-models/sso-admin, identitystore), in ECMAScript syntax.
inline constexpr std::string_view kInstanceArnPattern =
    "arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::instance/(sso)?ins-[a-zA-Z0-9.-]{16}";
inline constexpr std::string_view kPermissionSetArnPattern =
    "arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::permissionSet/(sso)?ins-[a-zA-Z0-9.-]{16}/ps-[a-zA-Z0-9./-]{16}";
inline constexpr std::string_view kAccountIdPattern = "\\d{12}";
inline constexpr std::string_view kUuidPattern = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

inline const StringRule kInstanceArn{true, 10, 1224, kInstanceArnPattern};
inline const StringRule kPermissionSetArn{true, 10, 1224, kPermissionSetArnPattern};
inline const StringRule kAccountId{true, 12, 12, kAccountIdPattern};
inline const StringRule kUuid{true, 36, 36, kUuidPattern};

inline ApiError validation_error(const Validator& v) { return {400, "ValidationException", v.message()}; }

// AWS JSON timestamps: epoch seconds with a fraction.
inline double epoch_seconds_fraction(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace jit::emulators::sso_rules
