#include "app/audit_keys.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jit {

namespace {

Result<audit::Keyring> read_key_file(const std::string& path, std::vector<std::string>& warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(Error::Invalid(fmt::format("[audit] key_file {}: cannot read it: {}", path, std::strerror(errno))));
  std::ostringstream text;
  text << in.rdbuf();
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    warnings.push_back(fmt::format("audit key file {} may be read by group or others (mode {:04o}): chmod 600 {}",
                                   path, info.st_mode & 07777, path));
  return audit::Keyring::parse_file(text.str(), path);
}

}  // namespace

Result<LoadedKeyring> load_audit_keys(const AuditSettings& settings, const std::optional<std::string>& env_key) {
  LoadedKeyring loaded;
  if (env_key && !env_key->empty()) {
    auto keys = audit::Keyring::parse_env(*env_key, kAuditKeyVariable);
    if (!keys) return fail(keys.error());
    loaded.keys = std::move(*keys);
    loaded.sources.emplace_back(kAuditKeyVariable);
  }
  if (!settings.key_file.empty()) {
    auto keys = read_key_file(settings.key_file, loaded.warnings);
    if (!keys) return fail(keys.error());
    auto merged = loaded.keys.merged_with(*keys);
    if (!merged)
      return fail(Error::Invalid(fmt::format("{} and [audit] key_file {}: {}", kAuditKeyVariable, settings.key_file,
                                             merged.error().message)));
    loaded.keys = std::move(*merged);
    loaded.sources.push_back("key file " + settings.key_file);
  }
  return loaded;
}

Result<> check_keys_continue_the_trail(Store& store, const audit::Keyring& keys) {
  if (keys.keyed()) return {};
  auto head = store.audit_head();
  if (!head) return fail(head.error());
  if (head->seq == 0) return {};
  auto last = store.audit_events({.after_seq = head->seq - 1, .limit = 1});
  if (!last) return fail(last.error());
  if (last->empty() || last->front().key_id.empty()) return {};
  return fail(Error::Invalid(fmt::format(
      "the audit trail is keyed (its last event, {}, was sealed by key {}) but no audit key is configured: set {} "
      "or [audit] key_file (docs/operations.md, \"Audit keys\"); unkeyed events after keyed ones would not verify",
      last->front().seq, last->front().key_id, kAuditKeyVariable)));
}

Result<LoadedKeyring> load_audit_keys(const AuditSettings& settings) {
  const char* env_key = std::getenv(kAuditKeyVariable);
  return load_audit_keys(settings, env_key ? std::optional<std::string>(env_key) : std::nullopt);
}

}  // namespace jit
