#include "cmd/jit/audit_checkpoints.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "app/checkpoint_key.h"
#include "app/runtime.h"
#include "audit/checkpoint.h"
#include "cmd/jit/cli.h"

namespace jit {

namespace {

// The anchors of one --checkpoints file: its checkpoints whose signature holds (or all of them
// without public keys).
Result<bool> anchors_of_file(const std::string& path, const std::map<std::string, crypto::Ed25519PublicKey>& keys,
                             std::vector<audit::Anchor>& anchors) {
  auto text = read_small_file(path, audit::kMaxScanBytes, "--checkpoints");
  if (!text) return fail(text.error());
  const auto scan = audit::scan_checkpoints(*text);
  bool ok = true;
  if (scan.found.empty()) {
    fmt::print("checkpoints: none found in {} (expected lines with \"jit-checkpoint v1 seq=…\" or "
               "\"event=audit_checkpoint seq=…\")\n", path);
    return false;
  }
  if (scan.truncated) fmt::print("checkpoints: {}: only the first {} checkpoints were read\n", path, scan.found.size());
  int unsigned_count = 0;
  for (const auto& c : scan.found) {
    const std::string name = fmt::format("checkpoint seq={} at={} (from {})", c.seq, format_time(c.at), path);
    if (!keys.empty()) {
      auto key = keys.find(c.key_id);
      if (key == keys.end()) {
        fmt::print("{} FAILED: signed by key {}, which no --public-key has\n", name, c.key_id);
        ok = false;
        continue;
      }
      if (!audit::signature_valid(c, key->second)) {
        fmt::print("{} FAILED: bad signature: the checkpoint was altered, or not made with key {}\n", name, c.key_id);
        ok = false;
        continue;
      }
    } else {
      ++unsigned_count;
    }
    anchors.push_back({c.seq, c.head, name});
  }
  if (unsigned_count > 0)
    fmt::print("checkpoints: {} from {} taken without checking their signatures (pass --public-key FILE, from "
               "`jit audit public-key`)\n", unsigned_count, path);
  return ok;
}

}  // namespace

Result<GatheredAnchors> gather_anchors(const CheckpointFlags& flags) {
  GatheredAnchors out;
  for (const auto& text : flags.anchors) {
    auto anchor = audit::parse_anchor(text);
    if (!anchor) return fail(anchor.error());
    out.anchors.push_back(std::move(*anchor));
  }
  std::map<std::string, crypto::Ed25519PublicKey> keys;
  for (const auto& path : flags.public_keys) {
    auto key = load_public_key_file(path, "--public-key");
    if (!key) return fail(key.error());
    keys.emplace(key->key_id(), *key);
  }
  for (const auto& path : flags.files) {
    auto read = anchors_of_file(path, keys, out.anchors);
    if (!read) return fail(read.error());
    out.ok = out.ok && *read;
  }
  return out;
}

bool verify_anchors(const std::vector<AuditEvent>& events, const AuditHead& head,
                    const std::vector<audit::Anchor>& anchors) {
  const auto problems = audit::check_anchors(events, head, anchors);
  for (const auto& p : problems) fmt::print("{} FAILED: {}\n", p.anchor.source, p.problem);
  if (anchors.empty()) return true;
  const auto latest = std::max_element(anchors.begin(), anchors.end(),
                                       [](const auto& a, const auto& b) { return a.seq < b.seq; });
  if (problems.empty())
    fmt::print("checkpoints verified: {} checkpoint{}, the latest at event {}\n", anchors.size(),
               anchors.size() == 1 ? "" : "s", latest->seq);
  else
    fmt::print("audit trail NOT verified: {} of {} checkpoints FAILED, so this is not the trail they were taken "
               "of (events cut off its end, or rewritten)\n",
               problems.size(), anchors.size());
  return problems.empty();
}

int cmd_audit_public_key(const std::string& config) {
  auto rt = Runtime::build({.config_flag = config, .need_policy = true, .open_store = false});
  if (!rt) return report(rt.error());
  auto key = load_checkpoint_key((*rt)->config()->settings.audit);
  if (!key) return report(key.error());
  if (!*key)
    return report(Error::Invalid(fmt::format("{}: [audit] checkpoint_key_file is not set, so the service publishes "
                                             "no checkpoints; make a key with `openssl genpkey -algorithm ed25519 "
                                             "-out FILE` and set it",
                                             (*rt)->config_path())));
  fmt::print("{}", (*key)->public_key().pem());
  std::cerr << fmt::format("key id {}: give this file to auditors for `jit audit verify --public-key FILE`\n",
                           (*key)->public_key().key_id());
  return kExitOk;
}

}  // namespace jit
