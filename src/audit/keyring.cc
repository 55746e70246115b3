#include "audit/keyring.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/text.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"

namespace jit::audit {

namespace {

bool is_key_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// The words of `line`, split at ASCII whitespace.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    std::size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

Result<> Keyring::add(std::string id, std::string_view secret_text, const std::string& where) {
  if (!is_key_id(id))
    return fail(Error::Invalid(fmt::format("{}: the key id must be 1 to 64 of A-Z a-z 0-9 . _ -", where)));
  auto secret = is_hex(secret_text) ? crypto::from_hex(secret_text) : crypto::from_base64(secret_text);
  if (!secret)
    return fail(Error::Invalid(fmt::format("{}: the secret of key {} is neither hex nor base64", where, id)));
  if (secret->size() < kMinKeyBytes)
    return fail(Error::Invalid(fmt::format("{}: the secret of key {} has {} bytes, fewer than {}: make one with "
                                           "`openssl rand -base64 32`",
                                           where, id, secret->size(), kMinKeyBytes)));
  if (secrets_.contains(id)) return fail(Error::Invalid(fmt::format("{}: key id {} appears twice", where, id)));
  secrets_.emplace(std::move(id), std::move(*secret));
  return {};
}

Result<Keyring> Keyring::parse_file(std::string_view text, std::string_view source) {
  Keyring ring;
  std::string first, marked;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    const std::string_view line = text::trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = fmt::format("{}:{}", source, line_number);
    const auto w = words(line);
    if (w.size() < 2 || w.size() > 3 || (w.size() == 3 && w[2] != "current"))
      return fail(Error::Invalid(fmt::format("{}: expected `<key-id> <secret>` or `<key-id> <secret> current`", where)));
    if (auto added = ring.add(std::string(w[0]), w[1], where); !added) return fail(added.error());
    if (first.empty()) first = w[0];
    if (w.size() == 3) {
      if (!marked.empty())
        return fail(Error::Invalid(fmt::format("{}: key {} is marked current, but so is key {}", where, w[0], marked)));
      marked = w[0];
    }
  }
  if (first.empty())
    return fail(Error::Invalid(fmt::format("{}: no key: write one line `<key-id> <secret>` (the secret from "
                                           "`openssl rand -base64 32`)",
                                           source)));
  ring.current_ = marked.empty() ? first : marked;
  return ring;
}

Result<Keyring> Keyring::parse_env(std::string_view text, std::string_view source) {
  Keyring ring;
  std::string normalised(text);
  std::replace(normalised.begin(), normalised.end(), ',', ' ');
  int position = 0;
  for (std::string_view entry : words(normalised)) {
    const std::string where = fmt::format("{} (key {})", source, ++position);
    const std::size_t colon = entry.find(':');
    if (colon == std::string_view::npos)
      return fail(Error::Invalid(fmt::format("{}: expected <key-id>:<secret>", where)));
    if (auto added = ring.add(std::string(entry.substr(0, colon)), entry.substr(colon + 1), where); !added)
      return fail(added.error());
    if (ring.current_.empty()) ring.current_ = entry.substr(0, colon);
  }
  if (ring.current_.empty()) return fail(Error::Invalid(fmt::format("{}: is set but holds no key", source)));
  return ring;
}

Result<Keyring> Keyring::merged_with(const Keyring& other) const {
  Keyring merged = *this;
  for (const auto& [id, secret] : other.secrets_) {
    auto [it, inserted] = merged.secrets_.emplace(id, secret);
    if (!inserted && !crypto::equal_constant_time(it->second, secret))
      return fail(Error::Invalid(fmt::format("key {} is given twice with two different secrets", id)));
  }
  if (merged.current_.empty()) merged.current_ = other.current_;
  return merged;
}

std::vector<std::string> Keyring::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, secret] : secrets_) out.push_back(id);
  return out;
}

std::string Keyring::mac_hex(std::string_view id, std::string_view data) const {
  return crypto::hmac_sha256_hex(secrets_.find(id)->second, data);
}

}  // namespace jit::audit
