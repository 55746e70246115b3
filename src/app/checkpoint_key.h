// The keys of audit checkpoints: the service's signing key ([audit] checkpoint_key_file) and the
// public key an auditor verifies with. The private key's text is never logged nor quoted in an
// error; errors name the setting or flag, the file, and the fix.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "core/settings.h"
#include "crypto/ed25519.h"

namespace jit {

// The signing key the settings name, or nullopt when [audit] checkpoint_key_file is not set
// (checkpoints off). Errc::invalid when the file cannot be read or is not an Ed25519 private key.
Result<std::optional<crypto::Ed25519PrivateKey>> load_checkpoint_key(const AuditSettings& audit);

// A public key file given as `flag` (PEM, as `jit audit public-key` prints it). Errc::invalid
// naming the flag when it cannot be read or is not an Ed25519 public key.
Result<crypto::Ed25519PublicKey> load_public_key_file(const std::string& path, const std::string& flag);

// A whole text file of at most `limit` bytes; Errc::invalid naming `what` and the path when it
// cannot be read or is larger.
Result<std::string> read_small_file(const std::string& path, std::size_t limit, const std::string& what);

}  // namespace jit
