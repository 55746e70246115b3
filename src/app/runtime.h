// The composition root: everything one `jit` process is built from, made once and in one place.
// The one clock, the policy and its file, the audit keys, the store named by its URL (sealing with
// those keys), the AWS clients (made when
// the store or IAM Identity Center needs them), and the access provider. `jit serve` and every
// console command build a Runtime and take what they need from it.
#pragma once

#include <functional>
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

namespace aws {
class IamRoleProvider;
}

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
  // The policy as it is now: `jit serve` hands its engine's (reloads included); by default the
  // policy this runtime read.
  using LiveConfig = std::function<std::shared_ptr<const Config>()>;
  // The provider of the policy's grants; with `dry_run`, the DryRunProvider instead. Otherwise an
  // aws::AccessRouter over IAM Identity Center (when [aws].instance_arn is set) and the IAM-role
  // path (make_iam_role_provider): each grant goes the way its target's ARN says. An account on
  // Identity Center (the default provider) without [aws].instance_arn: Errc::invalid naming the
  // accounts, the setting and --dry-run (nothing silently stands in for AWS). Both providers take
  // the store's locks (REQUIRES: options.open_store) as `owner` (the instance id) around each
  // read-modify-write of a policy document; Identity Center schedules revokes with the policy's
  // [aws] scheduler settings.
  Result<std::unique_ptr<AccessProvider>> make_provider(bool dry_run, const std::string& owner,
                                                        LiveConfig live_config = {});
  // The IAM-role path's provider (issue 16): each iam-role account of `live_config`'s policy reached
  // through its management role (assumed with this process's credentials), with [aws]
  // trust_policy_size_limit and call_timeout. Calls nothing until used.
  Result<std::unique_ptr<aws::IamRoleProvider>> make_iam_role_provider(const std::string& owner,
                                                                       LiveConfig live_config = {});

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
