#include "audit/credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "audit/chain.h"
#include "audit/facts.h"
#include "crypto/digest.h"

namespace jit::audit {
namespace {

using ::testing::HasSubstr;

constexpr char kCred[] = "Y3JlZGVudGlhbA";
constexpr char kKey[] = "cHVibGljIGtleQ";

// A credential's trail, sealed as the store seals it.
class CredentialStandingTest : public ::testing::Test {
 protected:
  void add(const std::string& action, const std::string& actor, std::string facts) {
    AuditEvent e{.at = TimePoint{Seconds{1800000000}}, .actor = actor, .action = action,
                 .request_id = credential_trail_id(kCred), .facts = std::move(facts)};
    seal(e, head, keys);
    head = {e.seq, e.hash};
    events.push_back(e);
  }
  void enrol(const std::string& user = "U1", const std::string& key = kKey, const std::string& actor = "U1") {
    add("credential_enrolled", actor, facts::of_credential_enrolled(kCred, -7, key, user));
  }
  void remove(const std::string& by = "UADMIN") {
    add("credential_removed", by, facts::of_credential_removed(kCred, "U1"));
  }
  Result<> standing(const std::string& user = "U1", const std::string& key = kKey, const Keyring* k = nullptr) {
    return credential_standing(events, kCred, user, key, k);
  }

  Keyring keys = *Keyring::parse_file("k1 " + std::string(64, 'a') + "\n", "keys.txt");
  std::vector<AuditEvent> events;
  AuditHead head{0, kGenesisHash};
};

TEST(CredentialTrail, IsCredPlusTwentyHexOfTheIdsHash) {
  const std::string id = credential_trail_id(kCred);
  EXPECT_EQ(id, "cred-" + crypto::sha256_hex(kCred).substr(0, 20));
  EXPECT_EQ(id.size(), 25u);
  EXPECT_TRUE(is_credential_trail_id(id));
  EXPECT_FALSE(is_credential_trail_id("r1"));
}

TEST_F(CredentialStandingTest, AnEnrolmentOfThatUserAndKeyStands) {
  enrol();
  EXPECT_TRUE(standing());
  EXPECT_TRUE(standing("U1", kKey, &keys));
}

TEST_F(CredentialStandingTest, NoEnrolmentIsDenied) {
  auto r = standing();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  EXPECT_THAT(r.error().message, HasSubstr("has no enrolment in the audit trail"));
}

TEST_F(CredentialStandingTest, AnotherUserOrKeyOrActorIsDenied) {
  enrol();
  EXPECT_EQ(standing("U2").error().code, Errc::denied);
  EXPECT_EQ(standing("U1", "b3RoZXI").error().code, Errc::denied);
  events.clear();
  enrol("U1", kKey, "UADMIN");  // enrolled "for" U1 by someone else: not the user's own
  EXPECT_THAT(standing().error().message, HasSubstr("is not of U1 with this public key"));
}

TEST_F(CredentialStandingTest, ARemovalAfterTheEnrolmentIsDeniedAndANewEnrolmentStandsAgain) {
  enrol();
  remove();
  EXPECT_THAT(standing().error().message, HasSubstr("was removed after its enrolment"));
  enrol();
  EXPECT_TRUE(standing());
}

TEST_F(CredentialStandingTest, AnEditedEnrolmentDoesNotCountWithTheKeys) {
  enrol("U2", "b3RoZXI", "U2");
  events.back().facts = facts::of_credential_enrolled(kCred, -7, kKey, "U1");
  events.back().actor = "U1";
  EXPECT_TRUE(standing());  // without keys the edit is not seen
  EXPECT_EQ(standing("U1", kKey, &keys).error().code, Errc::denied);
}

}  // namespace
}  // namespace jit::audit
