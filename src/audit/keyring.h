// The keys that seal the audit trail: HMAC-SHA256 secrets by key id, one of them current (new
// events are sealed with it), the others kept so that events sealed before a rotation still
// verify. The store never holds a secret, so whoever can write the store but cannot read the
// keys cannot forge or recompute an event's MAC.
//
// Secrets never leave this class as text: no formatter, no accessor that logs, and every parse
// error names the source and line (or entry) and what is wrong, never the line's content.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace jit::audit {

// Fewest bytes of secret a key may have (HMAC-SHA256's block of output; `openssl rand -base64 32`).
inline constexpr std::size_t kMinKeyBytes = 32;

class Keyring {
 public:
  // No keys: the chain is plain SHA-256, as before keys existed.
  static Keyring unkeyed() { return Keyring(); }

  // A key file's text: one key a line, `<key-id> <secret> [current]`, where key-id is 1 to 64 of
  // A-Z a-z 0-9 . _ - and the secret is hex (when it is only hex digits) or standard base64 of at
  // least kMinKeyBytes bytes. Blank lines and lines starting with '#' are skipped. The key marked
  // `current`, else the first, seals. Errc::invalid naming `source`:line for a malformed line, a
  // short secret, a repeated key id, two keys marked current, or a file with no key.
  static Result<Keyring> parse_file(std::string_view text, std::string_view source);

  // The JIT_AUDIT_KEY form: one or more `<key-id>:<secret>` separated by commas or whitespace,
  // the first current. Errc::invalid naming `source` and the entry's position.
  static Result<Keyring> parse_env(std::string_view text, std::string_view source);

  // This keyring with `other`'s keys added; the current key stays this one's (other's when this one
  // has none). Errc::invalid when one key id has two different secrets.
  Result<Keyring> merged_with(const Keyring& other) const;

  // True when there is a key to seal with.
  bool keyed() const { return !current_.empty(); }
  // The key id that seals new events; "" when unkeyed.
  const std::string& current_id() const { return current_; }
  // Every key id, sorted.
  std::vector<std::string> ids() const;
  // Whether the keyring holds key `id`.
  bool has(std::string_view id) const { return secrets_.find(std::string(id)) != secrets_.end(); }
  // HMAC-SHA256 of `data` under key `id`, lower-case hex. REQUIRES: has(id).
  std::string mac_hex(std::string_view id, std::string_view data) const;

 private:
  Keyring() = default;
  // Adds a key; the message of the error does not contain the secret. `where` names the line.
  Result<> add(std::string id, std::string_view secret_text, const std::string& where);

  std::map<std::string, std::string, std::less<>> secrets_;  // raw secret bytes by key id
  std::string current_;
};

}  // namespace jit::audit
