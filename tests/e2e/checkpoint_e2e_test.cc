// Signed audit checkpoints with the real `jit serve` on the Slack and AWS emulators: after a grant
// a checkpoint of the new head arrives in the ops channel and in the log; `jit audit verify`
// accepts a file of them (a Slack export and the log, as an auditor collects them) under the key
// `jit audit public-key` prints, and rejects the trail once its tail is cut and its head moved
// back, which plain verification does not see. Without a key, serve says checkpoints are off.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>

#include "audit/checkpoint.h"
#include "e2e/world.h"
#include "support/shell.h"

namespace jit::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

// `jit ARGS` and what it printed.
Outcome jit(const std::string& args) { return run_shell(std::string(JIT_BINARY) + " " + args); }

void write_file(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

class CheckpointE2e : public ::testing::Test {
 protected:
  static fs::path temp_dir() {
    const fs::path dir = fs::path(::testing::TempDir()) / ("jit-checkpoint-e2e-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
  }
  // A signing key as the operator makes it.
  static std::string make_key(const fs::path& dir) {
    const fs::path key = dir / "checkpoint.pem";
    fs::remove(key);
    EXPECT_EQ(std::system(("openssl genpkey -algorithm ed25519 -out " + key.string()).c_str()), 0);
    return key.string();
  }
};

TEST_F(CheckpointE2e, GrantPublishesACheckpointThatVerifyAcceptsAndTruncationFails) {
  const fs::path dir = temp_dir();
  const std::string key = make_key(dir);
  World world({.policy_tail = "\n[audit]\ncheckpoint_key_file = \"" + key + "\"\ncheckpoint_interval = \"1h\"\n"});
  std::string why;
  ASSERT_TRUE(world.start_instance(0, {}, &why)) << why;

  const std::string id = world.grant(kDana, "prod admin 1h checkpoint e2e");
  ASSERT_FALSE(id.empty());
  const AuditHead head = world.store().audit_head().value();
  // The checkpoint of the head after the grant: in the ops channel, and in the log.
  auto ops_has_head = [&](const emulators::SlackEmulator& slack) {
    for (const auto& m : slack.messages(kOpsChannel))
      for (const auto& c : audit::scan_checkpoints(m.value("text", "")).found)
        if (c.seq == head.seq && c.head == head.hash) return true;
    return false;
  };
  ASSERT_TRUE(world.slack().wait_for(ops_has_head, std::chrono::seconds(10)))
      << world.slack().messages(kOpsChannel).dump(1) << world.log(0);
  ASSERT_TRUE(World::poll([&] { return world.log(0).find("seq=" + std::to_string(head.seq) + " head=" + head.hash) !=
                                       std::string::npos; },
                          std::chrono::seconds(10)))
      << world.log(0);
  EXPECT_THAT(world.log(0), HasSubstr("audit_checkpoints_on"));
  EXPECT_THAT(world.log(0), HasSubstr("\"checkpoint\":\"jit-checkpoint v1 seq="));
  EXPECT_THAT(world.log(0), Not(HasSubstr("PRIVATE KEY")));
  EXPECT_EQ(world.stop_instance(0), 0);

  // What an auditor collects: the ops channel as Slack exports it, and the service's log.
  const fs::path evidence = dir / "evidence.txt";
  write_file(evidence, world.slack().messages(kOpsChannel).dump() + "\n" + world.log(0));
  const Outcome pub = jit("audit public-key --config " + world.policy_path());
  ASSERT_EQ(pub.code, 0) << pub.out;
  const fs::path public_key = dir / "checkpoint.pub";
  write_file(public_key, pub.out.substr(0, pub.out.find("key id ")));
  const std::string store = " --store " + world.store_url();
  const std::string checked = " --checkpoints " + evidence.string() + " --public-key " + public_key.string();
  const Outcome good = jit("audit verify" + store + checked);
  EXPECT_EQ(good.code, 0) << good.out;
  EXPECT_THAT(good.out, HasSubstr("checkpoints verified"));
  EXPECT_THAT(good.out, HasSubstr("the latest at event " + std::to_string(head.seq)));

  // A checkpoint edited in the evidence fails its signature.
  std::string text = world.slack().messages(kOpsChannel).dump();
  const auto at = text.find("seq=" + std::to_string(head.seq) + " head=");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4 + std::to_string(head.seq).size(), "seq=" + std::to_string(head.seq - 1));
  const fs::path edited = dir / "edited.txt";
  write_file(edited, text);
  const Outcome bad_sig = jit("audit verify" + store + " --checkpoints " + edited.string() + " --public-key " +
                              public_key.string());
  EXPECT_EQ(bad_sig.code, 1) << bad_sig.out;
  EXPECT_THAT(bad_sig.out, HasSubstr("FAILED: bad signature"));

  // The attack: the last two events deleted (triggers dropped first) and the head moved back.
  const std::string file = world.store_url().substr(std::string("sqlite:").size());
  const std::string keep = std::to_string(head.seq - 2);
  const std::string sql = "DROP TRIGGER IF EXISTS audit_append_only_delete; DELETE FROM audit WHERE seq > " + keep +
                          "; UPDATE audit_head SET seq = " + keep + ", hash = (SELECT hash FROM audit WHERE seq = " +
                          keep + ");";
  ASSERT_EQ(run_sqlite(file, sql).code, 0);
  // The chain alone sees nothing; the cross-check of requests sees that the active grant's own
  // grant events are gone (a cut that spares them is seen by the checkpoint alone).
  const Outcome plain = jit("audit verify" + store);
  EXPECT_EQ(plain.code, 1) << plain.out;
  EXPECT_THAT(plain.out, HasSubstr("audit trail verified"));
  EXPECT_THAT(plain.out, HasSubstr("MISMATCH grant_succeeded"));
  const Outcome caught = jit("audit verify" + store + checked);
  EXPECT_EQ(caught.code, 1) << caught.out;
  EXPECT_THAT(caught.out, HasSubstr("checkpoint seq=" + std::to_string(head.seq)));
  EXPECT_THAT(caught.out, HasSubstr("FAILED: event " + std::to_string(head.seq) + " is not in the trail, which ends at "
                                    "event " + keep));
  const Outcome typed = jit("audit verify" + store + " --checkpoint " + std::to_string(head.seq) + ":" + head.hash);
  EXPECT_EQ(typed.code, 1) << typed.out;
  EXPECT_THAT(typed.out, HasSubstr("--checkpoint " + std::to_string(head.seq) + ":" + head.hash + " FAILED"));
}

TEST_F(CheckpointE2e, WithoutAKeyServeSaysCheckpointsAreOff) {
  World world;
  std::string why;
  ASSERT_TRUE(world.start_instance(0, {}, &why)) << why;
  EXPECT_THAT(world.log(0), HasSubstr("\"event\":\"audit_checkpoints_off\""));
  EXPECT_THAT(world.log(0), HasSubstr("[audit] checkpoint_key_file is not set"));
}

}  // namespace
}  // namespace jit::testing
