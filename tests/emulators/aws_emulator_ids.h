// The ids the AWS emulator's tests share: its default instance, a permission set of it, an
// account, the identity store, and the seeded user dana.
#pragma once

#include <string>
#include <string_view>

namespace jit::emulators::test_ids {

inline constexpr char kInstance[] = "arn:aws:sso:::instance/ssoins-1111111111111111";
inline constexpr char kPermissionSet[] = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222";
inline constexpr char kAccount[] = "123456789012";
inline constexpr char kStore[] = "d-1111111111";
inline constexpr char kDanaId[] = "1111111111-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

inline bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace jit::emulators::test_ids
