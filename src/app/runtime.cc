#include "app/runtime.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

#include "app/config.h"
#include "app/dry_run.h"
#include "app/store_url.h"
#include "aws/access_router.h"
#include "aws/iam_clients.h"
#include "aws/iam_role_provider.h"
#include "aws/identity_center.h"

namespace jit {

Result<std::unique_ptr<Runtime>> Runtime::build(const RuntimeOptions& options) {
  std::unique_ptr<Runtime> rt(new Runtime());
  rt->options_ = options;
  const ConfigChoice choice = choose_config(options.config_flag);
  rt->config_path_ = choice.path;
  if (options.need_policy || choice.explicit_choice || std::filesystem::exists(choice.path)) {
    auto config = load_config_file(choice.path);
    if (!config) return fail(config.error());
    rt->config_ = std::move(*config);
  }
  auto keys = load_audit_keys(rt->config_ ? rt->config_->settings.audit : AuditSettings{});
  if (!keys) return fail(keys.error());
  rt->audit_keys_ = std::move(*keys);
  rt->store_url_ = choose_store_url(options.store_flag, rt->config_.get());
  if (!options.open_store) return rt;
  auto url = parse_store_url(rt->store_url_);
  if (!url) return fail(url.error());
  std::shared_ptr<AwsServices> aws;
  if (url->kind == StoreUrl::Kind::dynamodb) {
    auto made = rt->aws();
    if (!made) return fail(made.error());
    aws = *made;
  }
  auto store = open_store(rt->store_url_, aws, rt->audit_keys_.keys);
  if (!store) return fail(store.error());
  rt->store_ = std::move(*store);
  return rt;
}

Result<std::shared_ptr<AwsServices>> Runtime::aws() {
  if (aws_) return aws_;
  auto made = AwsServices::create(config_ ? config_->settings.aws : AwsSettings{}, clock_, options_.on_aws_call);
  if (!made) return fail(made.error());
  aws_ = *made;
  return aws_;
}

Locks& Runtime::locks() {
  // open_store makes only SqliteStore and DynamoDbStore, and both are Locks.
  return dynamic_cast<Locks&>(*store_);
}

StepUpStore& Runtime::step_up_store() {
  // open_store makes only SqliteStore and DynamoDbStore, and both are StepUpStores.
  return dynamic_cast<StepUpStore&>(*store_);
}

bool Runtime::has_identity_center() const { return config_ && !config_->settings.aws.instance_arn.empty(); }

Result<std::unique_ptr<AccessProvider>> Runtime::make_provider(bool dry_run, const std::string& owner,
                                                               LiveConfig live_config) {
  if (dry_run) return std::unique_ptr<AccessProvider>(std::make_unique<DryRunProvider>());
  std::vector<std::string> on_identity_center;
  if (config_)
    for (const auto& account : config_->policy.accounts)
      if (account.provider == AccessPath::identity_center) on_identity_center.push_back(account.name);
  if (!config_ || (!on_identity_center.empty() && !has_identity_center()))
    return fail(Error::Invalid(fmt::format(
        "{}: [aws].instance_arn is not set, so nothing could be granted or revoked in AWS for {}: set "
        "[aws].instance_arn and [aws].identity_store_id (IAM Identity Center), give the account provider = "
        "\"iam-role\" (the IAM-role path), or pass --dry-run to run the whole flow without AWS (every message then "
        "says so)",
        config_path_, on_identity_center.empty() ? std::string("its accounts") : fmt::format("{}", fmt::join(on_identity_center, ", ")))));
  auto aws = this->aws();
  if (!aws) return fail(aws.error());
  const AwsSettings& settings = config_->settings.aws;
  std::unique_ptr<AccessProvider> identity_center;
  if (has_identity_center())
    identity_center = std::make_unique<aws::IdentityCenterProvider>(
        aws::IdentityCenterConfig{.instance_arn = settings.instance_arn,
                                  .identity_store_id = settings.identity_store_id,
                                  .options = {.operation_deadline = settings.call_timeout},
                                  .schedule = {.group = settings.scheduler_group, .role_arn = settings.scheduler_role_arn},
                                  .locks = store_ ? &locks() : nullptr,
                                  .lock_owner = owner},
        (*aws)->sso_admin(), (*aws)->identitystore(), clock_, &(*aws)->scheduler());
  // Always made (it calls nothing until used): a reload may give an account provider = "iam-role".
  auto iam_role = make_iam_role_provider(owner, std::move(live_config));
  if (!iam_role) return fail(iam_role.error());
  return std::unique_ptr<AccessProvider>(
      std::make_unique<aws::AccessRouter>(std::move(identity_center), std::unique_ptr<AccessProvider>(std::move(*iam_role))));
}

Result<std::unique_ptr<aws::IamRoleProvider>> Runtime::make_iam_role_provider(const std::string& owner,
                                                                              LiveConfig live_config) {
  if (!config_) return fail(Error::Invalid("the IAM-role path needs a policy (--config)"));
  if (!live_config) live_config = [config = config_] { return config; };
  auto aws = this->aws();
  if (!aws) return fail(aws.error());
  const AwsSettings& settings = config_->settings.aws;
  aws::IamRoleOptions options;
  options.trust_policy_size_limit = settings.trust_policy_size_limit;
  options.operation_deadline = settings.call_timeout;
  auto clients = (*aws)->iam_clients(options.credential_reuse);
  if (!clients) return fail(clients.error());
  aws::IamRoleConfig config;
  config.options = options;
  config.account = [live = std::move(live_config)](const std::string& account_id) -> std::optional<aws::IamRoleAccount> {
    const auto now = live();
    if (!now) return std::nullopt;
    for (const auto& a : now->policy.accounts)
      if (a.id == account_id && a.provider == AccessPath::iam_role)
        return aws::IamRoleAccount{.account_id = a.id,
                                   .management_role_arn = a.iam_role.management_role_arn,
                                   .external_id = a.iam_role.external_id,
                                   .base_principal_arn = a.iam_role.base_principal_arn,
                                   .source_identity = a.iam_role.source_identity};
    return std::nullopt;
  };
  config.iam_for = aws::make_iam_client_for(*clients);
  config.locks = store_ ? &locks() : nullptr;
  config.lock_owner = owner;
  return std::make_unique<aws::IamRoleProvider>(std::move(config), clock_);
}

}  // namespace jit
