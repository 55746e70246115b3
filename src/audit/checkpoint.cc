#include "audit/checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

namespace jit::audit {

namespace {

constexpr std::string_view kLineMarker = "jit-checkpoint v1";
constexpr std::string_view kLogMarker = "event=audit_checkpoint";
constexpr std::size_t kKeyIdLength = 16;     // 8 bytes in hex
constexpr std::size_t kSignatureLength = 86;  // 64 bytes in unpadded base64url
constexpr std::size_t kMaxSeqDigits = 18;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// No '/' (Slack's JSON export writes it "\/"), no '+', '=' or whitespace: a head reads back the same
// from every export.
bool is_head_char(char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == ':'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_time_char(char c) { return is_digit(c) || c == '-' || c == ':' || c == 'T' || c == 'Z'; }
bool is_base64url(char c) { return is_alnum(c) || c == '-' || c == '_'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Reads "name=value" at `pos` (after blanks), the value being the longest run of `allowed`
// characters, at most `max_length` of them. Advances `pos` past it.
std::optional<std::string_view> field(std::string_view text, std::size_t& pos, std::string_view name,
                                      bool (*allowed)(char), std::size_t max_length) {
  std::size_t p = pos;
  const std::size_t blanks_from = p;
  while (p < text.size() && is_blank(text[p])) ++p;
  if (p == blanks_from || text.substr(p, name.size()) != name || text.substr(p + name.size(), 1) != "=")
    return std::nullopt;
  p += name.size() + 1;
  const std::size_t from = p;
  while (p < text.size() && allowed(text[p]) && p - from <= max_length) ++p;
  if (p == from || p - from > max_length) return std::nullopt;
  pos = p;
  return text.substr(from, p - from);
}

// The checkpoint whose fields start at `pos` (just after a marker), or nullopt.
std::optional<Checkpoint> parse_fields(std::string_view text, std::size_t& pos) {
  auto seq = field(text, pos, "seq", is_digit, kMaxSeqDigits);
  if (!seq) return std::nullopt;
  auto head = field(text, pos, "head", is_head_char, kMaxHeadLength);
  if (!head) return std::nullopt;
  auto at = field(text, pos, "at", is_time_char, 20);
  if (!at) return std::nullopt;
  auto key = field(text, pos, "key", is_hex, kKeyIdLength);
  if (!key || key->size() != kKeyIdLength) return std::nullopt;
  auto sig = field(text, pos, "sig", is_base64url, kSignatureLength);
  if (!sig || sig->size() != kSignatureLength) return std::nullopt;
  Checkpoint c;
  if (std::from_chars(seq->data(), seq->data() + seq->size(), c.seq).ec != std::errc() || c.seq < 1)
    return std::nullopt;
  auto time = parse_time(*at);
  auto signature = crypto::from_base64url(*sig);
  if (!time || at->size() != 20 || !signature) return std::nullopt;
  c.head = std::string(*head);
  c.at = *time;
  c.key_id = std::string(*key);
  c.signature = std::move(*signature);
  return c;
}

}  // namespace

bool is_head_text(std::string_view head) {
  return !head.empty() && head.size() <= kMaxHeadLength && std::all_of(head.begin(), head.end(), is_head_char);
}

std::string signed_text(const Checkpoint& c) {
  return fmt::format("jit-checkpoint v1\nseq={}\nhead={}\nat={}\nkey={}\n", c.seq, c.head, format_time(c.at),
                     c.key_id);
}

Result<Checkpoint> make_checkpoint(const AuditHead& head, TimePoint at, const crypto::Ed25519PrivateKey& key) {
  if (head.seq < 1) return fail(Error::Invalid("no checkpoint of an empty audit trail"));
  if (!is_head_text(head.hash))
    return fail(Error::Invalid(fmt::format("the audit head (event {}) has a hash that is not a checkpoint's: {} "
                                           "characters, expected up to {} of [A-Za-z0-9-_.:]",
                                           head.seq, head.hash.size(), kMaxHeadLength)));
  Checkpoint c{.seq = head.seq, .head = head.hash, .at = at, .key_id = key.public_key().key_id()};
  auto signature = key.sign(signed_text(c));
  if (!signature) return fail(signature.error());
  c.signature = std::move(*signature);
  return c;
}

bool signature_valid(const Checkpoint& c, const crypto::Ed25519PublicKey& key) {
  return c.key_id == key.key_id() && is_head_text(c.head) && key.verify(signed_text(c), c.signature);
}

std::string fields_text(const Checkpoint& c) {
  return fmt::format("seq={} head={} at={} key={} sig={}", c.seq, c.head, format_time(c.at), c.key_id,
                     crypto::base64url(c.signature));
}

std::string to_line(const Checkpoint& c) { return fmt::format("{} {}", kLineMarker, fields_text(c)); }

ScanResult scan_checkpoints(std::string_view text) {
  ScanResult result;
  if (text.size() > kMaxScanBytes) {
    text = text.substr(0, kMaxScanBytes);
    result.truncated = true;
  }
  std::set<std::string> seen;  // signed_text + signature of each checkpoint kept
  // The next occurrence of each marker at or after `pos`, found again only once passed: the text
  // is read a bounded number of times whatever it holds.
  std::size_t pos = 0, line = text.find(kLineMarker), log = text.find(kLogMarker);
  while (pos < text.size()) {
    if (line < pos) line = text.find(kLineMarker, pos);
    if (log < pos) log = text.find(kLogMarker, pos);
    const std::size_t at = std::min(line, log);
    if (at == std::string_view::npos) break;
    std::size_t p = at + (at == line ? kLineMarker.size() : kLogMarker.size());
    auto found = parse_fields(text, p);
    pos = found ? p : at + 1;
    if (!found || !seen.insert(signed_text(*found) + found->signature).second) continue;
    if (result.found.size() == kMaxCheckpoints) {
      result.truncated = true;
      break;
    }
    result.found.push_back(std::move(*found));
  }
  return result;
}

}  // namespace jit::audit
