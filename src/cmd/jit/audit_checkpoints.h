// The checkpoint side of `jit audit verify` (--checkpoint, --checkpoints, --public-key) and
// `jit audit public-key`.
#pragma once

#include <string>
#include <vector>

#include "audit/anchors.h"
#include "cmd/jit/commands.h"
#include "core/model.h"
#include "ports/store.h"

namespace jit {

// The anchors the flags give: each --checkpoint, and every checkpoint found in each file whose
// signature holds (checked only with --public-key; a checkpoint with a bad or unknown signature
// is printed and makes `ok` false). Errc::invalid for a malformed flag or an unreadable file.
struct GatheredAnchors {
  std::vector<audit::Anchor> anchors;
  bool ok = true;
};
Result<GatheredAnchors> gather_anchors(const CheckpointFlags& flags);

// Checks the trail against the anchors and prints one line per failed anchor and a summary.
// True when every anchor holds.
bool verify_anchors(const std::vector<AuditEvent>& events, const AuditHead& head,
                    const std::vector<audit::Anchor>& anchors);

// `jit audit public-key`: prints the PEM public key of [audit] checkpoint_key_file.
int cmd_audit_public_key(const std::string& config);

}  // namespace jit
