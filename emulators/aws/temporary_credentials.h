// Temporary credentials as STS issues them (ASIA... key id, 40-character secret, session token),
// made from the emulator's seeded random source.
#pragma once

#include <random>
#include <string>
#include <string_view>

#include "aws/credentials.h"

namespace jit::emulators {

// `n` characters drawn from `alphabet`.
std::string random_chars(std::mt19937_64& random, std::string_view alphabet, int n);

// A version-4 UUID, "8-4-4-4-12" lower-case hex.
std::string random_uuid(std::mt19937_64& random);

// A fresh key pair with a session token: "ASIA" + 16 of [A-Z2-7], 40 of base64, "IQoJb3JpZ2luX2VjE" + 180.
aws::Credentials temporary_credentials(std::mt19937_64& random);

// "AROA" + 17 of [A-Z2-7]: a role's unique id.
std::string role_id(std::mt19937_64& random);

}  // namespace jit::emulators
