// The composition root: everything one `jit` process is built from, made once and in one place.
// The one clock, the policy and its file, the audit keys, the store named by its URL (sealing with
// those keys), the AWS clients (made when
// the store or IAM Identity Center needs them), and the access provider. `jit serve` and every
// console command build a Runtime and take what they need from it.
#pragma once

#include <memory>
#include <string>

#include "app/audit_keys.h"
#include "app/aws_services.h"
#include "core/error.h"
#include "core/settings.h"
#include "ports/access_provider.h"
#include "ports/clock.h"
#include "ports/lock.h"
#include "ports/step_up_store.h"
#include "ports/store.h"

namespace jit {

struct RuntimeOptions {
  std::string config_flag;  // --config ("" = $JIT_CONFIG, else ./jit.toml)
  std::string store_flag;   // --store ("" = $JIT_STORE, else the policy's store.url, else sqlite:jit.db)
  // The command cannot work without a policy: a missing ./jit.toml is then an error. Without
  // it, a policy is read only when named or present.
  bool need_policy = false;
  bool open_store = true;
  // Sees every AWS call's outcome (metrics, readiness); see AwsServices::create.
  AwsServices::CallObserver on_aws_call;
};

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> build(const RuntimeOptions& options);

  const Clock& clock() const { return clock_; }
  // Null when no configuration was read (a console command run without one).
  const std::shared_ptr<const Config>& config() const { return config_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& store_url() const { return store_url_; }
  // The audit keyring ([audit] key_file and JIT_AUDIT_KEY, read once by build), with where it came
  // from and any warning about it.
  const LoadedKeyring& audit_keys() const { return audit_keys_; }
  // REQUIRES: options.open_store.
  Store& store() { return *store_; }
  // The named leases every instance on the same store shares (ports/lock.h): the store itself,
  // since both stores (SQLite and DynamoDB) are also Locks.
  // REQUIRES: options.open_store.
  Locks& locks();
  // The durable state of the WebAuthn step-up (ports/step_up_store.h): the store itself, since both
  // stores are also StepUpStores. REQUIRES: options.open_store.
  StepUpStore& step_up_store();
  // The AWS clients, made on first need (region and endpoints from the policy and environment).
  Result<std::shared_ptr<AwsServices>> aws();
  // The AWS clients if something has made them already (null otherwise).
  const AwsServices* aws_if_made() const { return aws_.get(); }
  // True when the policy names an IAM Identity Center instance ([aws].instance_arn).
  bool has_identity_center() const;
  // IAM Identity Center as the policy configures it; with `dry_run`, the DryRunProvider instead.
  // Without Identity Center settings and without `dry_run`: Errc::invalid naming the setting and
  // --dry-run (nothing silently stands in for AWS). The provider schedules revokes with the
  // policy's [aws] scheduler settings and takes the store's locks (REQUIRES: options.open_store) as
  // `owner` (the instance id) around each change of a permission set's inline policy.
  Result<std::unique_ptr<AccessProvider>> make_provider(bool dry_run, const std::string& owner);

 private:
  Runtime() = default;
  SystemClock clock_;
  RuntimeOptions options_;
  std::shared_ptr<const Config> config_;
  std::string config_path_, store_url_;
  LoadedKeyring audit_keys_;
  std::shared_ptr<AwsServices> aws_;
  std::unique_ptr<Store> store_;
};

}  // namespace jit
