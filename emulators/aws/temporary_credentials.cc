#include "temporary_credentials.h"

namespace jit::emulators {

namespace {
constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kSecretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

std::string random_chars(std::mt19937_64& random, std::string_view alphabet, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += alphabet[random() % alphabet.size()];
  return out;
}

std::string random_uuid(std::mt19937_64& random) {
  constexpr std::string_view kHex = "0123456789abcdef";
  return random_chars(random, kHex, 8) + "-" + random_chars(random, kHex, 4) + "-4" + random_chars(random, kHex, 3) + "-" +
         random_chars(random, "89ab", 1) + random_chars(random, kHex, 3) + "-" + random_chars(random, kHex, 12);
}

aws::Credentials temporary_credentials(std::mt19937_64& random) {
  aws::Credentials out;
  out.access_key_id = "ASIA" + random_chars(random, kUpper, 16);
  out.secret_access_key = random_chars(random, kSecretChars, 40);
  out.session_token = "IQoJb3JpZ2luX2VjE" + random_chars(random, kSecretChars, 180);
  return out;
}

std::string role_id(std::mt19937_64& random) { return "AROA" + random_chars(random, kUpper, 17); }

}  // namespace jit::emulators
