// The AWS shared files: INI parsing, profile lookup across both files, paths and region.
#include "aws/shared_config.h"

#include <gtest/gtest.h>

#include "aws/credentials_test_support.h"

namespace jit::aws {
namespace {

using testing::FakeEnv;
using testing::TempDir;

TEST(SharedConfigIni, SectionsKeysCommentsAndWhitespace) {
  const auto ini = parse_ini(
      "# a comment\n"
      "; another comment\n"
      "[default]\n"
      "aws_access_key_id=AKIDDEFAULT\n"
      "  Aws_Secret_Access_Key   =   with spaces around   \n"
      "\n"
      "[  dev  ]   # comment after a header\n"
      "region = eu-west-1 ; inline comment\n"
      "key_with_hash = abc#def\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "after_sub = yes\r\n"
      "not a key value line\n"
      "[broken\n"
      "lost = value\n");
  ASSERT_TRUE(ini.contains("default"));
  EXPECT_EQ(ini.at("default").at("aws_access_key_id"), "AKIDDEFAULT");
  EXPECT_EQ(ini.at("default").at("aws_secret_access_key"), "with spaces around");
  ASSERT_TRUE(ini.contains("dev"));
  const auto& dev = ini.at("dev");
  EXPECT_EQ(dev.at("region"), "eu-west-1");
  EXPECT_EQ(dev.at("key_with_hash"), "abc#def");  // no whitespace before '#': part of the value
  EXPECT_EQ(dev.at("s3"), "");
  EXPECT_FALSE(dev.contains("max_concurrent_requests"));
  EXPECT_EQ(dev.at("after_sub"), "yes");
  EXPECT_FALSE(dev.contains("lost"));
  for (const auto& [name, values] : ini) EXPECT_FALSE(values.contains("lost")) << name;
}

TEST(SharedConfigIni, LaterDuplicatesWinAndSectionsMerge) {
  const auto ini = parse_ini("[a]\nx = 1\ny = 2\n[b]\nz = 3\n[a]\nx = 4\n");
  EXPECT_EQ(ini.at("a").at("x"), "4");
  EXPECT_EQ(ini.at("a").at("y"), "2");
  EXPECT_EQ(ini.at("b").at("z"), "3");
}

TEST(SharedConfigPaths, DefaultsUnderHomeAndOverrides) {
  FakeEnv env;
  env.set("HOME", "/home/alice");
  auto paths = shared_file_paths(env.lookup());
  EXPECT_EQ(paths.credentials_file, "/home/alice/.aws/credentials");
  EXPECT_EQ(paths.config_file, "/home/alice/.aws/config");
  env.set("AWS_SHARED_CREDENTIALS_FILE", "~/creds").set("AWS_CONFIG_FILE", "/etc/aws/config");
  paths = shared_file_paths(env.lookup());
  EXPECT_EQ(paths.credentials_file, "/home/alice/creds");
  EXPECT_EQ(paths.config_file, "/etc/aws/config");
}

TEST(SharedConfigProfile, NameFromEnvironment) {
  FakeEnv env;
  EXPECT_EQ(profile_name(env.lookup()), "default");
  env.set("AWS_PROFILE", "");
  EXPECT_EQ(profile_name(env.lookup()), "default");
  env.set("AWS_PROFILE", "dev");
  EXPECT_EQ(profile_name(env.lookup()), "dev");
}

TEST(SharedConfigProfile, ConfigUsesProfilePrefixExceptDefault) {
  TempDir dir;
  SharedFilePaths paths{dir.path() + "/missing-credentials",
                        dir.write("config",
                                  "[default]\nregion = us-east-1\n"
                                  "[profile dev]\nregion = eu-west-1\n"
                                  "[ops]\nregion = ap-south-1\n"       // no "profile " prefix: not a profile
                                  "[profile   spaced  ]\nregion = sa-east-1\n")};
  auto def = load_profile(paths, "default");
  ASSERT_TRUE(def) << def.error().message;
  EXPECT_EQ(def->get("region"), "us-east-1");
  auto dev = load_profile(paths, "dev");
  ASSERT_TRUE(dev) << dev.error().message;
  EXPECT_EQ(dev->get("region"), "eu-west-1");
  auto spaced = load_profile(paths, "spaced");
  ASSERT_TRUE(spaced) << spaced.error().message;
  EXPECT_EQ(spaced->get("region"), "sa-east-1");
  auto ops = load_profile(paths, "ops");
  ASSERT_FALSE(ops);
  EXPECT_EQ(ops.error().code, Errc::not_found);
  EXPECT_NE(ops.error().message.find("profile ops"), std::string::npos) << ops.error().message;
}

TEST(SharedConfigProfile, ProfileDefaultSectionWinsOverDefault) {
  TempDir dir;
  SharedFilePaths paths{dir.path() + "/none",
                        dir.write("config", "[profile default]\nregion = eu-north-1\n[default]\nregion = us-east-1\n")};
  auto def = load_profile(paths, "default");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->get("region"), "eu-north-1");
}

TEST(SharedConfigProfile, CredentialsFileOverridesConfigFile) {
  TempDir dir;
  SharedFilePaths paths{dir.write("credentials", "[dev]\naws_access_key_id = FROMCREDENTIALS\n"),
                        dir.write("config",
                                  "[profile dev]\naws_access_key_id = FROMCONFIG\nregion = eu-west-1\n"
                                  "[dev]\naws_access_key_id = WRONGSECTION\n")};
  auto dev = load_profile(paths, "dev");
  ASSERT_TRUE(dev) << dev.error().message;
  EXPECT_EQ(dev->get("aws_access_key_id"), "FROMCREDENTIALS");
  EXPECT_EQ(dev->get("region"), "eu-west-1");
}

TEST(SharedConfigProfile, MissingFilesAreEmptyAndEmptyValuesAbsent) {
  TempDir dir;
  SharedFilePaths paths{dir.path() + "/a", dir.path() + "/b"};
  auto none = load_profile(paths, "default");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::not_found);

  paths.credentials_file = dir.write("credentials", "[default]\naws_access_key_id =\n");
  auto def = load_profile(paths, "default");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->get("aws_access_key_id"), std::nullopt);
  EXPECT_EQ(def->get("aws_secret_access_key"), std::nullopt);
}

TEST(SharedConfigProfile, UnreadableFileIsUnavailable) {
  TempDir dir;
  // A directory where the file should be: opening succeeds on Linux but reading fails, or it
  // fails to open; either way the profile cannot be trusted to be absent.
  std::filesystem::create_directories(dir.path() + "/credentials-dir");
  SharedFilePaths paths{dir.path() + "/credentials-dir", dir.path() + "/none"};
  auto profile = load_profile(paths, "default");
  ASSERT_FALSE(profile);
  EXPECT_NE(profile.error().code, Errc::internal);
}

TEST(SharedConfigRegion, EnvironmentThenProfile) {
  TempDir dir;
  const std::string config = dir.write("config", "[default]\nregion = us-east-2\n[profile dev]\nregion = eu-west-3\n");
  FakeEnv env;
  EXPECT_EQ(resolve_region(env.lookup(), config, "default"), "us-east-2");
  EXPECT_EQ(resolve_region(env.lookup(), config, "dev"), "eu-west-3");
  EXPECT_EQ(resolve_region(env.lookup(), config, "nobody"), std::nullopt);
  EXPECT_EQ(resolve_region(env.lookup(), dir.path() + "/missing", "default"), std::nullopt);
  env.set("AWS_DEFAULT_REGION", "ap-northeast-1");
  EXPECT_EQ(resolve_region(env.lookup(), config, "dev"), "ap-northeast-1");
  env.set("AWS_REGION", "ca-central-1");
  EXPECT_EQ(resolve_region(env.lookup(), config, "dev"), "ca-central-1");
}

TEST(SharedConfigRegion, FromEnvironmentPathsAndProfile) {
  TempDir dir;
  FakeEnv env;
  env.set("AWS_CONFIG_FILE", dir.write("cfg", "[profile dev]\nregion = eu-west-3\n")).set("AWS_PROFILE", "dev");
  EXPECT_EQ(resolve_region(env.lookup()), "eu-west-3");
}

}  // namespace
}  // namespace jit::aws
