#include "app/checkpoint_key.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace jit {

namespace {
constexpr std::size_t kMaxKeyFile = 64 * 1024;
constexpr std::string_view kMakeKey =
    "make one with `openssl genpkey -algorithm ed25519 -out FILE && chmod 600 FILE` and set [audit] "
    "checkpoint_key_file to its path";
}  // namespace

Result<std::string> read_small_file(const std::string& path, std::size_t limit, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Error::Invalid(fmt::format("{}: cannot read {}: {}", what, path, std::strerror(errno))));
  std::string text(limit + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail(Error::Invalid(fmt::format("{}: cannot read {}", what, path)));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > limit)
    return fail(Error::Invalid(fmt::format("{}: {} is larger than {} bytes", what, path, limit)));
  return text;
}

Result<std::optional<crypto::Ed25519PrivateKey>> load_checkpoint_key(const AuditSettings& audit) {
  const std::string& path = audit.checkpoint_key_file;
  if (path.empty()) return std::optional<crypto::Ed25519PrivateKey>();
  auto text = read_small_file(path, kMaxKeyFile, "[audit] checkpoint_key_file");
  if (!text) return fail(Error::Invalid(fmt::format("{}; {}", text.error().message, kMakeKey)));
  auto key = crypto::Ed25519PrivateKey::from_pem(*text);
  if (!key)
    return fail(Error::Invalid(
        fmt::format("[audit] checkpoint_key_file: {} is {}; {}", path, key.error().message, kMakeKey)));
  return std::optional(std::move(*key));
}

Result<crypto::Ed25519PublicKey> load_public_key_file(const std::string& path, const std::string& flag) {
  auto text = read_small_file(path, kMaxKeyFile, flag);
  if (!text) return fail(text.error());
  auto key = crypto::Ed25519PublicKey::from_pem(*text);
  if (!key) return fail(Error::Invalid(fmt::format("{}: {} is {}", flag, path, key.error().message)));
  return *key;
}

}  // namespace jit
