#!/usr/bin/env python3
"""Checks the deployment assets against the code they deploy.

    python3 tests/deploy/deploy_test.py [REPO_ROOT]      (CTest: deploy.templates)

What it checks, each as one named check (all run; the failures are listed at the end):

  templates     deploy/*.yaml parse (CloudFormation short tags included), every Ref / GetAtt /
                ${...} names a parameter, resource or pseudo parameter, and
                deploy/iam-task-policy.json is valid JSON whose Refs are parameters of
                deploy/ecs-service.yaml.
  actions       The task role's actions are exactly the AWS operations `jit` calls at run time,
                derived from the source (src/aws, src/store): the operation names passed to
                AwsJsonApi::call, the OperationNames tables of the Identity Center provider, and the
                item kinds inside TransactWriteItems, and the actions a call implies (IMPLIED:
                iam:PassRole for CreateSchedule). A missing or an extra action is named.
  management-role deploy/iam-role-management.yaml (issue 16): trusted only by the task role with the
                external id; exactly the IAM actions the IAM-role provider calls, only on the elevated
                roles' path; the task role assumes only that role name.
  scheduler-role The role EventBridge Scheduler assumes (SchedulerRole): trusted only by
                scheduler.amazonaws.com of this account, allowed only sso:DeleteAccountAssignment;
                the task's iam:PassRole names only that role and only for Scheduler
                (iam:PassedToService); the schedule group has the code's default name.
  policy-copy   The task role's inline policy in ecs-service.yaml is the same document as
                deploy/iam-task-policy.json (the source of truth).
  least-priv    No "*" in any action, no NotAction / NotResource, no Allow on Resource "*" except
                the documented exceptions below, and the task policy's resources are the parameters
                (instance, permission sets, accounts, identity store, table and exactly the indexes
                the code queries), not wildcards.
  task-def      Port mappings, a load balancer and inbound security-group rules exist only under
                the ServeStepUp condition (the step-up page, issue 15): the load balancer is an
                internal NLB (never internet-facing) passing TCP 443 to StepUpPort, the one port
                mapping is StepUpPort, and each ingress rule is on StepUpPort alone from
                StepUpClientCidr (or the NLB's subnets for health checks), never 0.0.0.0/0.
                Egress 443 only, a non-root user (the Dockerfile's), the Slack tokens, the audit
                key and the step-up TLS certificate and key only as Secrets, stopTimeout 30, a
                health check on /healthz at the --ops-address port, desired count 2.
  table         deploy/dynamodb-table.yaml has TTL on the attribute the code writes, point-in-time
                recovery, the key and the global secondary indexes the code queries
                (src/store/dynamodb_items.h).
  dockerfile    deploy/Dockerfile is multi-stage, builds Release with JIT_FAULT_INJECTION=OFF and
                JIT_BUILD_TESTS=OFF (options CMakeLists.txt really has) and without GoogleTest,
                runs as a non-root USER, EXPOSEs nothing, and has
                ENTRYPOINT ["/usr/local/bin/jit"].
  docs          Every metric docs/operations.md names is registered in src/, and every registered
                metric is described there.
  manifest      docs/slack-app-manifest.yaml parses; it turns on Socket Mode and interactivity;
                every Events API event src/slack/inbound.cc handles is a bot event of the app, and
                the Home tab is enabled when src/slack publishes one (views.publish).

Needs python3 and PyYAML (Debian: python3-yaml, installed by scripts/setup). cfn-lint is not
needed; run it by hand if you have it (docs/operations.md).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - a setup problem, reported plainly
    print("deploy_test: PyYAML is missing: run scripts/setup (Debian package python3-yaml)", file=sys.stderr)
    sys.exit(1)

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]).resolve()
DEPLOY = ROOT / "deploy"

# ---- What the test knows about AWS (each entry says why) -------------------------------------

# Which service a receiver of AwsJsonApi::call talks to, by file. The IAM prefix is the SigV4
# signing name of src/aws/endpoints.cc ("sso" for sso-admin), checked below.
RECEIVERS = {
    "src/aws/identity_center.cc": {"sso_admin_": "sso", "identitystore_": "identitystore"},
    "src/aws/identity_center_cutoff.cc": {"sso_admin_": "sso"},
    "src/aws/identity_center_schedule.cc": {"scheduler_": "scheduler"},
    "src/store/dynamodb_api.cc": {"api": "dynamodb"},
    "src/store/dynamodb_store.cc": {"api_": "dynamodb", "api": "dynamodb"},
    "src/store/dynamodb_step_up.cc": {"api_": "dynamodb"},
    # The IAM-role path: the task role assumes each account's management role.
    "src/aws/assume_role_credentials.cc": {"sts": "sts"},
    # `jit doctor` (DoctorClients): run with the task role, it checks the role's permissions too.
    "src/app/doctor.cc": {"sso_admin": "sso", "identitystore": "identitystore", "scheduler": "scheduler",
                          "dynamodb": "dynamodb"},
}
# Calls made with the management role's credentials in an iam-role account, not the task role's:
# deploy/iam-role-management.yaml must allow exactly these (check "management-role").
MANAGEMENT_RECEIVERS = {
    "src/aws/iam_role_provider.cc": {"api": "iam", "iam": "iam"},
    "src/aws/iam_role_cutoff.cc": {"api": "iam"},
}
# Call sites that forward an operation name they were given (not a call of their own).
FORWARDERS = {
    ("src/aws/iam_clients.cc", "client", "action"),
    ("src/app/aws_services.cc", "api_", "operation"),
    ("src/aws/identity_center.cc", "sso_admin_", "names.start"),
    ("src/aws/identity_center.cc", "sso_admin_", "names.describe"),
    ("src/aws/identity_center.cc", "sso_admin_", "kProvisioning.start"),
}
# Actions a call needs besides its own: CreateSchedule hands Scheduler its execution role
# (Target.RoleArn), which IAM authorises as iam:PassRole on that role.
IMPLIED = {
    "scheduler:CreateSchedule": {"iam:PassRole"},
}
# Operations only `jit store init` calls (DynamoDbStore::create_table). An operator runs it once
# with their own credentials (or deploys deploy/dynamodb-table.yaml instead); the service's task
# role never needs them. (DescribeTimeToLive is not one: `jit doctor` reads it with the task role.)
INIT_ONLY = {"dynamodb:CreateTable", "dynamodb:UpdateTimeToLive"}
# Operations that need no permission in the caller's identity policy.
NO_IDENTITY_POLICY = {
    # Authorised by the role's trust policy, not by a permission of the caller; and on ECS the
    # credentials come from the container endpoint, so the task never calls it.
    "sts:AssumeRoleWithWebIdentity": "trust policy of the web-identity role",
}
# TransactWriteItems is no IAM action: each item is authorised as the single-item operation it
# performs ("Using IAM with DynamoDB transactions", DynamoDB developer guide).
TRANSACT_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Delete": "dynamodb:DeleteItem",
    "Update": "dynamodb:UpdateItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
TRANSACT_OPERATIONS = {"dynamodb:TransactWriteItems"}
# Actions that AWS only accepts on Resource "*" (the action has no resource type).
RESOURCE_STAR_OK = {
    "ecr:GetAuthorizationToken": "no resource type: the ECR login token is per registry, not per repository",
}
# Wildcards allowed inside an otherwise scoped resource of the task policy.
SCOPED_WILDCARDS = {
    ":identitystore:::user/*": "GetUserId resolves whichever user asks; the user id is what it looks up",
    ":schedule/${SchedulerGroup}/jit-*": "one schedule per grant, named jit-<grant id>, in the service's own group",
    ":iam::*:role/${ManagementRoleName}": "the management role of every iam-role account (issue 16), which trusts only "
                                          "this task role and only with the account's external id",
}

PSEUDO = {"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
          "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}

# ---- CloudFormation YAML ---------------------------------------------------------------------


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads !Ref, !Sub, !GetAtt, ... as their long forms ({"Fn::Sub": ...})."""


def _cfn_tag(loader: CfnLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(path: Path):
    with path.open() as f:
        return yaml.load(f, Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass


def walk(value):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def read(rel: str) -> str:
    return (ROOT / rel).read_text()


# ---- What the code calls ---------------------------------------------------------------------


def code_operations(problems: list[str]) -> set[str]:
    """Every AWS operation the source calls, as "prefix:Operation"."""
    ops: set[str] = set()
    endpoints = read("src/aws/endpoints.cc")
    for env_id, signing in (("SSO_ADMIN", "sso"), ("IDENTITYSTORE", "identitystore"), ("DYNAMODB", "dynamodb"),
                            ("SCHEDULER", "scheduler")):
        if not re.search(rf'"{env_id}",\s*"[a-z]+",\s*"{signing}"', endpoints):
            problems.append(f"src/aws/endpoints.cc: expected signing name {signing!r} for {env_id}; "
                            "update RECEIVERS in this test")
    call = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(?:\.|->)\s*call\(\s*("[^"]*"|[A-Za-z_][A-Za-z0-9_.]*)')
    for path in sorted((ROOT / "src").rglob("*")):
        if path.suffix not in {".cc", ".h"}:
            continue
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        aws_file = rel.startswith(("src/aws/", "src/store/")) or rel == "src/app/aws_services.cc"
        for m in call.finditer(text):
            receiver, arg = m.group(1), m.group(2)
            if arg.startswith('"'):
                name = arg.strip('"')
                if not re.fullmatch(r"[A-Z][A-Za-z]+", name):
                    continue  # a Slack Web API method ("chat.postMessage"), not AWS
                if receiver in MANAGEMENT_RECEIVERS.get(rel, {}):
                    continue  # the management role's (management_operations)
                service = RECEIVERS.get(rel, {}).get(receiver)
                if service is None:
                    problems.append(f"{rel}: AWS call {receiver}.call(\"{name}\") on a receiver this test does not "
                                    "know: add it to RECEIVERS (and its action to deploy/iam-task-policy.json)")
                    continue
                ops.add(f"{service}:{name}")
            elif aws_file and (rel, receiver, arg) not in FORWARDERS and receiver != "this":
                problems.append(f"{rel}: {receiver}.call({arg}, ...) passes an operation name the test cannot "
                                "see: add it to FORWARDERS if it only forwards, else call with a literal")
    ic = read("src/aws/identity_center.cc")
    tables = re.findall(r'constexpr\s+OperationNames\s+k\w+\s*\{\s*"(\w+)",\s*"(\w+)"', ic)
    if not tables:
        problems.append("src/aws/identity_center.cc: no OperationNames tables found; update this test")
    for start, describe in tables:
        ops.update({f"sso:{start}", f"sso:{describe}"})
    for m in re.finditer(r"Action=(\w+)&", "".join(p.read_text() for p in (ROOT / "src/aws").glob("*.cc"))):
        ops.add(f"sts:{m.group(1)}")
    return ops


def management_operations() -> set[str]:
    """The IAM actions the IAM-role provider calls with an account's management role."""
    call = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(?:\.|->)\s*call\(\s*"([A-Za-z]+)"')
    ops: set[str] = set()
    for rel, receivers in MANAGEMENT_RECEIVERS.items():
        for m in call.finditer(read(rel)):
            if m.group(1) in receivers:
                ops.add(f"{receivers[m.group(1)]}:{m.group(2)}")
    return ops


def transact_item_actions() -> set[str]:
    text = read("src/store/dynamodb_store.cc")
    kinds = set(re.findall(r'\.add\(\s*Part::\w+\s*,\s*"(\w+)"', text))
    unknown = kinds - TRANSACT_ITEM_ACTIONS.keys()
    if unknown:
        raise AssertionError(f"src/store/dynamodb_store.cc: unknown TransactWriteItems item kinds {sorted(unknown)}")
    return {TRANSACT_ITEM_ACTIONS[k] for k in kinds}


def init_only_is_init_only(problems: list[str]) -> None:
    text = read("src/store/dynamodb_api.cc")
    begin = text.find("DynamoDbStore::create_table(")
    end = text.find("DynamoDbStore::open(", begin)
    if begin < 0 or end < 0:
        problems.append("src/store/dynamodb_api.cc: DynamoDbStore::create_table not found; update INIT_ONLY")
        return
    for action in INIT_ONLY:
        op = action.split(":", 1)[1]
        for path in sorted((ROOT / "src").rglob("*.cc")):
            t = path.read_text()
            for m in re.finditer(rf'"{op}"', t):
                inside = path.name == "dynamodb_api.cc" and begin <= m.start() < end
                if not inside:
                    problems.append(f"{path.relative_to(ROOT)}: {op} is called outside DynamoDbStore::create_table: "
                                    "the task role may need it (remove it from INIT_ONLY)")


def index_specs() -> list[tuple[str, str, str]]:
    text = read("src/store/dynamodb_items.h")
    specs = re.findall(r'IndexSpec\s+k\w+Index\s*\{\s*"([\w-]+)",\s*"(\w+)",\s*"(\w+)"\s*\}', text)
    names = re.search(r"kAllIndexes\[\]\s*=\s*\{([^}]*)\}", text)
    if not specs or not names:
        raise AssertionError("src/store/dynamodb_items.h: IndexSpec constants not found; update this test")
    return specs


def ttl_attribute() -> str:
    m = re.search(r'kTtlAttribute\s*=\s*"(\w+)"', read("src/store/dynamodb_items.h"))
    if not m:
        raise AssertionError("src/store/dynamodb_items.h: kTtlAttribute not found")
    return m.group(1)


def key_attributes() -> tuple[str, str]:
    text = read("src/store/dynamodb_items.h")
    pk = re.search(r'kPartitionKey\s*=\s*"(\w+)"', text)
    sk = re.search(r'kSortKey\s*=\s*"(\w+)"', text)
    return pk.group(1), sk.group(1)


# ---- Policies --------------------------------------------------------------------------------


def as_list(v):
    return v if isinstance(v, list) else [v]


def statements(document) -> list[dict]:
    """The statements of a policy document; both branches of an Fn::If, without AWS::NoValue."""
    out = []
    for s in as_list(document.get("Statement", [])):
        if isinstance(s, dict) and "Fn::If" in s:
            for branch in s["Fn::If"][1:]:
                if branch != {"Ref": "AWS::NoValue"}:
                    out.append(branch)
        else:
            out.append(s)
    return out


def strings_in(value) -> list[str]:
    """The literal text of a resource value (Fn::Sub templates and Join pieces included)."""
    return [v for v in walk(value) if isinstance(v, str)]


def template_policies(template) -> list[tuple[str, dict]]:
    out = []
    for name, res in template.get("Resources", {}).items():
        props = res.get("Properties", {})
        if res.get("Type") == "AWS::IAM::Role":
            for p in props.get("Policies", []):
                out.append((f"{name}/{p.get('PolicyName')}", p["PolicyDocument"]))
        elif res.get("Type") in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            out.append((name, props["PolicyDocument"]))
    return out


def check_least_privilege(where: str, document, problems: list[str]) -> None:
    for s in statements(document):
        sid = f"{where}/{s.get('Sid', '?')}"
        for key in ("NotAction", "NotResource", "NotPrincipal"):
            if key in s:
                problems.append(f"{sid}: uses {key}")
        if s.get("Effect") != "Allow":
            continue
        actions = as_list(s.get("Action", []))
        for a in actions:
            if not isinstance(a, str) or "*" in a or ":" not in a:
                problems.append(f"{sid}: action {a!r} is not one named action")
        if "*" in as_list(s.get("Resource", [])):
            not_ok = [a for a in actions if a not in RESOURCE_STAR_OK]
            if not_ok:
                problems.append(f"{sid}: Resource \"*\" for {not_ok}: scope it (only {sorted(RESOURCE_STAR_OK)} "
                                "may use \"*\")")


# ---- Checks ----------------------------------------------------------------------------------

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def template_names(template) -> set[str]:
    return set(template.get("Parameters", {})) | set(template.get("Resources", {})) | PSEUDO


def check_references(label: str, value, names: set[str], resources: set[str], problems: list[str]) -> None:
    for v in walk(value):
        if not isinstance(v, dict) or len(v) != 1:
            continue
        (k, arg), = v.items()
        if k == "Ref" and arg not in names:
            problems.append(f"{label}: !Ref {arg} names nothing")
        elif k == "Fn::GetAtt" and as_list(arg)[0] not in resources:
            problems.append(f"{label}: !GetAtt {arg} names no resource")
        elif k == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1 else {})
            for var in re.findall(r"\$\{([^}!]+)\}", text):
                base = var.split(".", 1)[0]
                if var not in names and base not in resources and var not in local:
                    problems.append(f"{label}: ${{{var}}} names nothing")


@check
def templates(problems: list[str]) -> None:
    for name in ("ecs-service.yaml", "dynamodb-table.yaml", "iam-role-management.yaml"):
        t = load_template(DEPLOY / name)
        if not isinstance(t, dict) or t.get("AWSTemplateFormatVersion") != "2010-09-09" or not t.get("Resources"):
            problems.append(f"deploy/{name}: not a CloudFormation template")
            continue
        check_references(f"deploy/{name}", t["Resources"], template_names(t), set(t["Resources"]), problems)
        check_references(f"deploy/{name}", t.get("Outputs", {}), template_names(t), set(t["Resources"]), problems)
        conditions = set(t.get("Conditions", {}))
        for rname, res in t["Resources"].items():
            if "Condition" in res and res["Condition"] not in conditions:
                problems.append(f"deploy/{name}: {rname} uses undefined condition {res['Condition']}")
        for v in walk(t["Resources"]):
            if isinstance(v, dict) and "Fn::If" in v and v["Fn::If"][0] not in conditions:
                problems.append(f"deploy/{name}: !If on undefined condition {v['Fn::If'][0]}")
    policy = json.loads((DEPLOY / "iam-task-policy.json").read_text())
    ecs = load_template(DEPLOY / "ecs-service.yaml")
    check_references("deploy/iam-task-policy.json", policy, set(ecs.get("Parameters", {})) | PSEUDO, set(), problems)


def task_role_policy(ecs) -> dict:
    role = ecs["Resources"]["TaskRole"]["Properties"]
    (policy,) = role["Policies"]
    return policy["PolicyDocument"]


@check
def actions(problems: list[str]) -> None:
    ops = code_operations(problems)
    init_only_is_init_only(problems)
    runtime = ops - INIT_ONLY - set(NO_IDENTITY_POLICY)
    expected = (runtime - TRANSACT_OPERATIONS) | (transact_item_actions() if runtime & TRANSACT_OPERATIONS else set())
    for op, implied in IMPLIED.items():
        if op in runtime:
            expected |= implied
    policy = json.loads((DEPLOY / "iam-task-policy.json").read_text())
    granted = {a for s in statements(policy) if s.get("Effect") == "Allow" for a in as_list(s["Action"])}
    for a in sorted(expected - granted):
        problems.append(f"deploy/iam-task-policy.json: missing {a} (the code calls it)")
    for a in sorted(granted - expected):
        problems.append(f"deploy/iam-task-policy.json: extra {a} (the code never calls it)")
    for a in sorted(INIT_ONLY - ops):
        problems.append(f"INIT_ONLY lists {a}, which the code no longer calls: remove it from this test")
    print(f"    operations in the code: {', '.join(sorted(ops))}")
    print(f"    task role actions:      {', '.join(sorted(expected))}")


@check
def policy_copy(problems: list[str]) -> None:
    source = json.loads((DEPLOY / "iam-task-policy.json").read_text())
    inline = task_role_policy(load_template(DEPLOY / "ecs-service.yaml"))
    if source != inline:
        problems.append("deploy/ecs-service.yaml: TaskRole's inline policy differs from deploy/iam-task-policy.json "
                        "(the source of truth): copy it over")
        src_sids = [s.get("Sid") for s in statements(source)]
        inl_sids = [s.get("Sid") for s in statements(inline)]
        for a, b in zip(statements(source), statements(inline)):
            if a != b:
                problems.append(f"    first difference in statement {a.get('Sid')}: {json.dumps(a)} != {json.dumps(b)}")
                break
        if src_sids != inl_sids:
            problems.append(f"    statements {src_sids} != {inl_sids}")


@check
def least_priv(problems: list[str]) -> None:
    policy = json.loads((DEPLOY / "iam-task-policy.json").read_text())
    check_least_privilege("iam-task-policy.json", policy, problems)
    ecs = load_template(DEPLOY / "ecs-service.yaml")
    for where, doc in template_policies(ecs):
        check_least_privilege(f"ecs-service.yaml:{where}", doc, problems)
    # The task policy's resources: parameters, not wildcards.
    for s in statements(policy):
        for text in strings_in(s.get("Resource")):
            if text in {",", ""} or not text.startswith("arn:"):
                continue
            if "*" in text and not any(w in text for w in SCOPED_WILDCARDS):
                problems.append(f"iam-task-policy.json/{s.get('Sid')}: wildcard resource {text!r}")
    refs = {v["Ref"] for v in walk(policy) if isinstance(v, dict) and "Ref" in v}
    for p in ("IdentityCenterInstanceArn", "PermissionSetArns", "TargetAccountIds"):
        if p not in refs:
            problems.append(f"iam-task-policy.json: the Identity Center statements are not scoped by {p}")
    subs = " ".join(strings_in(policy))
    if "${IdentityStoreId}" not in subs or "${TableName}" not in subs:
        problems.append("iam-task-policy.json: not scoped to ${IdentityStoreId} and ${TableName}")
    wanted = {name for name, _, _ in index_specs()}
    granted = set(re.findall(r"\$\{TableName\}/index/([\w*-]+)", subs))
    if granted != wanted:
        problems.append(f"iam-task-policy.json: indexes {sorted(granted)} != the indexes the code queries "
                        f"{sorted(wanted)}")


@check
def management_role(problems: list[str]) -> None:
    """deploy/iam-role-management.yaml (the IAM-role path): one role, trusted only by the JitTaskRoleArn
    parameter with sts:ExternalId = the ExternalId parameter; allowed exactly the IAM actions the
    provider calls, only on roles under ElevatedRolePath of this account; and the task role may
    assume that role name and nothing else of IAM."""
    t = load_template(DEPLOY / "iam-role-management.yaml")
    roles = {n: r for n, r in t.get("Resources", {}).items() if r.get("Type") == "AWS::IAM::Role"}
    if list(roles) != ["ManagementRole"] or len(t["Resources"]) != 1:
        problems.append(f"iam-role-management.yaml: must hold only ManagementRole, holds {sorted(t['Resources'])}")
        return
    props = roles["ManagementRole"]["Properties"]
    if props.get("RoleName") != {"Ref": "ManagementRoleName"} or props.get("Path") != "/":
        problems.append("ManagementRole: RoleName must be !Ref ManagementRoleName at Path / (outside the elevated path)")
    trust = statements(props["AssumeRolePolicyDocument"])
    want_trust = {"Effect": "Allow", "Principal": {"AWS": {"Ref": "JitTaskRoleArn"}}, "Action": "sts:AssumeRole",
                  "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}}
    if len(trust) != 1 or {k: v for k, v in trust[0].items() if k != "Sid"} != want_trust:
        problems.append(f"ManagementRole: trust must be exactly {want_trust}, is {trust}")
    if not t["Parameters"].get("ExternalId", {}).get("NoEcho"):
        problems.append("iam-role-management.yaml: ExternalId must be NoEcho")
    wanted = management_operations()
    if not wanted:
        problems.append("no IAM call found in MANAGEMENT_RECEIVERS' files: update this test")
    granted: set[str] = set()
    for p in props.get("Policies", []):
        for s in statements(p["PolicyDocument"]):
            check_least_privilege("iam-role-management.yaml/ManagementRole", p["PolicyDocument"], problems)
            if s.get("Effect") != "Allow":
                continue
            granted |= set(as_list(s["Action"]))
            if s.get("Resource") != {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role${ElevatedRolePath}*"}:
                problems.append(f"ManagementRole/{s.get('Sid')}: resource must be the elevated roles' path of this "
                                f"account, is {s.get('Resource')}")
    for a in sorted(wanted - granted):
        problems.append(f"iam-role-management.yaml: missing {a} (the IAM-role provider calls it)")
    for a in sorted(granted - wanted):
        problems.append(f"iam-role-management.yaml: extra {a} (the IAM-role provider never calls it)")
    policy = json.loads((DEPLOY / "iam-task-policy.json").read_text())
    assume = [s for s in statements(policy) if "sts:AssumeRole" in as_list(s.get("Action", []))]
    if [s.get("Resource") for s in assume] != [{"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${ManagementRoleName}"}]:
        problems.append("iam-task-policy.json: sts:AssumeRole must be one statement on the management role name only")
    print(f"    management role actions: {', '.join(sorted(wanted))}")


@check
def scheduler_role(problems: list[str]) -> None:
    """The role EventBridge Scheduler assumes: trusted by scheduler.amazonaws.com of this account only,
    allowed only sso:DeleteAccountAssignment; the task may pass exactly that role, to Scheduler only;
    the schedule group is the template's, with the code's default name."""
    ecs = load_template(DEPLOY / "ecs-service.yaml")
    resources = ecs["Resources"]
    role = resources.get("SchedulerRole", {})
    if role.get("Type") != "AWS::IAM::Role":
        problems.append("deploy/ecs-service.yaml: no SchedulerRole (AWS::IAM::Role)")
        return
    props = role["Properties"]
    if props.get("RoleName") != {"Ref": "SchedulerRoleName"}:
        problems.append("SchedulerRole: RoleName must be !Ref SchedulerRoleName (the task's PassRole names it)")
    trust = statements(props["AssumeRolePolicyDocument"])
    if len(trust) != 1 or trust[0].get("Principal") != {"Service": "scheduler.amazonaws.com"} \
            or trust[0].get("Action") != "sts:AssumeRole":
        problems.append(f"SchedulerRole: trust must be one sts:AssumeRole by scheduler.amazonaws.com, is {trust}")
    elif trust[0].get("Condition", {}).get("StringEquals", {}).get("aws:SourceAccount") != {"Ref": "AWS::AccountId"}:
        problems.append("SchedulerRole: trust lacks StringEquals aws:SourceAccount = AWS::AccountId (confused deputy)")
    granted = {a for p in props.get("Policies", []) for s in statements(p["PolicyDocument"])
               if s.get("Effect") == "Allow" for a in as_list(s["Action"])}
    if granted != {"sso:DeleteAccountAssignment"}:
        problems.append(f"SchedulerRole: may do {sorted(granted)}, must do only sso:DeleteAccountAssignment")
    policy = json.loads((DEPLOY / "iam-task-policy.json").read_text())
    for s in statements(policy):
        if "iam:PassRole" not in as_list(s.get("Action", [])):
            continue
        if as_list(s["Action"]) != ["iam:PassRole"]:
            problems.append(f"iam-task-policy.json/{s.get('Sid')}: iam:PassRole shares its statement")
        if "role/${SchedulerRoleName}" not in " ".join(strings_in(s.get("Resource"))):
            problems.append(f"iam-task-policy.json/{s.get('Sid')}: iam:PassRole on another role than SchedulerRole")
        if s.get("Condition", {}).get("StringEquals", {}).get("iam:PassedToService") != "scheduler.amazonaws.com":
            problems.append(f"iam-task-policy.json/{s.get('Sid')}: iam:PassRole without iam:PassedToService "
                            "scheduler.amazonaws.com")
    group = resources.get("ScheduleGroup", {})
    if group.get("Type") != "AWS::Scheduler::ScheduleGroup" or group["Properties"].get("Name") != {"Ref": "SchedulerGroup"}:
        problems.append("deploy/ecs-service.yaml: no ScheduleGroup (AWS::Scheduler::ScheduleGroup named !Ref SchedulerGroup)")
    default = re.search(r'std::string group = "([\w.-]+)"', read("src/aws/identity_center.h"))
    if not default or ecs["Parameters"]["SchedulerGroup"].get("Default") != default.group(1):
        problems.append("deploy/ecs-service.yaml: SchedulerGroup's default differs from ScheduleConfig::group "
                        "(src/aws/identity_center.h)")


def dockerfile_user() -> str | None:
    text = read("deploy/Dockerfile")
    last_stage = text.split("\nFROM ")[-1]
    users = re.findall(r"^USER\s+(\S+)", last_stage, re.M)
    return users[-1] if users else None


def non_root(user: str | None) -> bool:
    if not user:
        return False
    name = user.split(":")[0]
    return name not in {"0", "root"}


def under_step_up(value) -> bool:
    """Whether `value` is `!If [ServeStepUp, <something>, !Ref AWS::NoValue]`."""
    return (isinstance(value, dict) and list(value) == ["Fn::If"] and value["Fn::If"][0] == "ServeStepUp"
            and value["Fn::If"][2] == {"Ref": "AWS::NoValue"})


# The conditions a step-up resource may have: ServeStepUp, or one that requires it.
STEP_UP_CONDITIONS = {"ServeStepUp", "ServeStepUpHealthChecks"}
# Where an ingress rule to the tasks may come from, by parameter.
STEP_UP_SOURCES = {"StepUpClientCidr", "StepUpLoadBalancerSubnetCidr"}
# The secrets the container gets, by variable, and their parameters; the step-up ones only under
# ServeStepUp.
SECRETS = {"SLACK_BOT_TOKEN": "SlackBotTokenSecretArn", "SLACK_APP_TOKEN": "SlackAppTokenSecretArn",
           "JIT_AUDIT_KEY": "AuditKeySecretArn"}
STEP_UP_SECRETS = {"JIT_STEP_UP_TLS_CERTIFICATE": "StepUpCertificateSecretArn",
                   "JIT_STEP_UP_TLS_KEY": "StepUpKeySecretArn"}


def check_step_up_condition(ecs, problems: list[str]) -> None:
    conditions = ecs.get("Conditions", {})
    want = {"Fn::And": [{"Fn::Not": [{"Fn::Equals": [{"Ref": "StepUpCertificateSecretArn"}, ""]}]},
                        {"Fn::Not": [{"Fn::Equals": [{"Ref": "StepUpKeySecretArn"}, ""]}]}]}
    if conditions.get("ServeStepUp") != want:
        problems.append(f"condition ServeStepUp must be: both step-up secrets given, is {conditions.get('ServeStepUp')}")
    health = conditions.get("ServeStepUpHealthChecks")
    if health is not None and {"Condition": "ServeStepUp"} not in health.get("Fn::And", []):
        problems.append("condition ServeStepUpHealthChecks does not require ServeStepUp")
    params = ecs["Parameters"]
    for name in ("StepUpCertificateSecretArn", "StepUpKeySecretArn", "StepUpClientCidr"):
        if params.get(name, {}).get("Default") != "":
            problems.append(f"parameter {name}: must default to \"\" (no step-up page unless asked)")
    if params.get("StepUpPort", {}).get("Default") != 8443:
        problems.append("parameter StepUpPort: must default to 8443 ([step_up] listen's default port)")


def check_step_up_network(res, problems: list[str]) -> None:
    by_type = {}
    for name, r in res.items():
        by_type.setdefault(r["Type"], []).append((name, r))
    for kind in ("AWS::EC2::SecurityGroupIngress", "AWS::ElasticLoadBalancingV2::LoadBalancer",
                 "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::Listener"):
        for name, r in by_type.get(kind, []):
            if r.get("Condition") not in STEP_UP_CONDITIONS:
                problems.append(f"{name} ({kind}): exists without the ServeStepUp condition")
    for name, r in by_type.get("AWS::EC2::SecurityGroupIngress", []):
        p = r["Properties"]
        port = {"Ref": "StepUpPort"}
        if (p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort")) != ("tcp", port, port):
            problems.append(f"{name}: ingress is not tcp on StepUpPort alone: {p}")
        source = p.get("CidrIp")
        if not (isinstance(source, dict) and source.get("Ref") in STEP_UP_SOURCES) or set(p) & {
                "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId"}:
            problems.append(f"{name}: ingress from {source!r}, expected only !Ref StepUpClientCidr "
                            "(or the NLB's subnets for health checks)")
        if r.get("Condition") == "ServeStepUp" and source != {"Ref": "StepUpClientCidr"}:
            problems.append(f"{name}: the ServeStepUp rule must come from StepUpClientCidr")
    clients = [n for n, r in by_type.get("AWS::EC2::SecurityGroupIngress", [])
               if r["Properties"].get("CidrIp") == {"Ref": "StepUpClientCidr"} and r.get("Condition") == "ServeStepUp"]
    if len(clients) != 1:
        problems.append("template: expected one ingress rule from StepUpClientCidr under ServeStepUp")
    lbs = by_type.get("AWS::ElasticLoadBalancingV2::LoadBalancer", [])
    if len(lbs) != 1:
        problems.append(f"template: expected one load balancer (the step-up page's), found {len(lbs)}")
    for name, r in lbs:
        p = r["Properties"]
        if p.get("Scheme") != "internal":
            problems.append(f"{name}: Scheme {p.get('Scheme')!r}, must be internal (never internet-facing)")
        if p.get("Type") != "network":
            problems.append(f"{name}: Type {p.get('Type')!r}, expected network (TCP pass-through: TLS ends in jit)")
        if p.get("Subnets") != {"Ref": "SubnetIds"}:
            problems.append(f"{name}: not in the service's subnets (SubnetIds)")
    for name, r in by_type.get("AWS::ElasticLoadBalancingV2::TargetGroup", []):
        p = r["Properties"]
        if (p.get("TargetType"), p.get("Protocol"), p.get("Port"), p.get("HealthCheckProtocol")) != (
                "ip", "TCP", {"Ref": "StepUpPort"}, "TCP"):
            problems.append(f"{name}: expected target type ip, TCP to StepUpPort, TCP health check: {p}")
    for name, r in by_type.get("AWS::ElasticLoadBalancingV2::Listener", []):
        p = r["Properties"]
        if (p.get("Protocol"), p.get("Port")) != ("TCP", 443):
            problems.append(f"{name}: expected a TCP listener on 443 (the origin has no port), is "
                            f"{p.get('Protocol')} {p.get('Port')}")
    for name, r in by_type.get("AWS::EC2::SecurityGroup", []):
        sg = r.get("Properties", {})
        if sg.get("SecurityGroupIngress"):
            problems.append(f"{name}: has inline inbound rules (only StepUpIngress, under ServeStepUp, may add one)")
        egress = sg.get("SecurityGroupEgress", [])
        if not egress:
            problems.append(f"{name}: no egress rule given, so CloudFormation keeps allow-all egress")
        for rule in egress:
            if (rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort")) != ("tcp", 443, 443):
                problems.append(f"{name}: egress rule {rule} is not HTTPS (tcp 443)")
    outputs = {k: v for k, v in load_template(DEPLOY / "ecs-service.yaml").get("Outputs", {}).items()
               if v.get("Value") == {"Fn::GetAtt": ["StepUpLoadBalancer", "DNSName"]}}
    if [v.get("Condition") for v in outputs.values()] != ["ServeStepUp"]:
        problems.append("outputs: expected one output of the NLB's DNS name, under ServeStepUp")


def check_execution_role_secrets(res, problems: list[str]) -> None:
    role = res.get("ExecutionRole", {}).get("Properties", {})
    for policy in role.get("Policies", []):
        for s in as_list(policy["PolicyDocument"].get("Statement", [])):
            plain = s if not (isinstance(s, dict) and "Fn::If" in s) else None
            step_up = s["Fn::If"][1] if under_step_up(s) else None
            for stmt, allowed_under in ((plain, False), (step_up, True)):
                if not stmt or "secretsmanager:GetSecretValue" not in as_list(stmt.get("Action", [])):
                    continue
                for r in as_list(stmt.get("Resource", [])):
                    param = r.get("Ref") if isinstance(r, dict) else None
                    if param in STEP_UP_SECRETS.values() and not allowed_under:
                        problems.append(f"ExecutionRole: reads {param} without the ServeStepUp condition")
                    elif param not in set(SECRETS.values()) | set(STEP_UP_SECRETS.values()):
                        problems.append(f"ExecutionRole: GetSecretValue on {r!r}, not one of the secret parameters")
    readable = {r.get("Ref") for s in statements(role["Policies"][0]["PolicyDocument"])
                if "secretsmanager:GetSecretValue" in as_list(s.get("Action", []))
                for r in as_list(s.get("Resource", [])) if isinstance(r, dict)}
    for param in list(SECRETS.values()) + list(STEP_UP_SECRETS.values()):
        if param not in readable:
            problems.append(f"ExecutionRole: may not read {param}, which the container gets")


def check_container_secrets(c, problems: list[str]) -> None:
    name = c.get("Name")
    plain, conditional = {}, {}
    for entry in c.get("Secrets", []):
        if under_step_up(entry):
            conditional[entry["Fn::If"][1]["Name"]] = entry["Fn::If"][1].get("ValueFrom")
        elif isinstance(entry, dict) and "Name" in entry:
            plain[entry["Name"]] = entry.get("ValueFrom")
        else:
            problems.append(f"container {name}: a secret {entry} that is neither plain nor under ServeStepUp")
    env = {e["Name"] for e in c.get("Environment", []) if isinstance(e, dict) and "Name" in e}
    for variable, param in SECRETS.items():
        if plain.get(variable) != {"Ref": param}:
            problems.append(f"container {name}: {variable} is not injected from Secrets Manager ({param})")
    for variable, param in STEP_UP_SECRETS.items():
        if conditional.get(variable) != {"Ref": param}:
            problems.append(f"container {name}: {variable} is not injected from {param} under ServeStepUp")
        if variable in plain:
            problems.append(f"container {name}: {variable} is a secret without the ServeStepUp condition")
    for variable in set(SECRETS) | set(STEP_UP_SECRETS):
        if variable in env or any(variable in str(e) for e in c.get("Environment", [])):
            problems.append(f"container {name}: {variable} is a plain environment variable")
    mappings = c.get("PortMappings")
    if mappings is not None and (not under_step_up(mappings) or mappings["Fn::If"][1] != [
            {"ContainerPort": {"Ref": "StepUpPort"}, "Protocol": "tcp"}]):
        problems.append(f"container {name}: port mappings other than StepUpPort under ServeStepUp: {mappings} "
                        "(Socket Mode needs none; ops stays on loopback)")


@check
def task_def(problems: list[str]) -> None:
    ecs = load_template(DEPLOY / "ecs-service.yaml")
    res = ecs["Resources"]
    by_type = {}
    for name, r in res.items():
        by_type.setdefault(r["Type"], []).append((name, r.get("Properties", {})))
    (_, td), = by_type["AWS::ECS::TaskDefinition"]
    (_, svc), = by_type["AWS::ECS::Service"]
    if td.get("NetworkMode") != "awsvpc" or "FARGATE" not in td.get("RequiresCompatibilities", []):
        problems.append("task definition: expected Fargate (awsvpc)")
    check_step_up_condition(ecs, problems)
    check_step_up_network(res, problems)
    check_execution_role_secrets(res, problems)
    for c in td["ContainerDefinitions"]:
        name = c.get("Name")
        check_container_secrets(c, problems)
        if not non_root(c.get("User")):
            problems.append(f"container {name}: User {c.get('User')!r} is not a non-root user")
        if c.get("User") != dockerfile_user():
            problems.append(f"container {name}: User {c.get('User')!r} differs from the Dockerfile's USER "
                            f"{dockerfile_user()!r}")
        if c.get("StopTimeout") != 30:
            problems.append(f"container {name}: StopTimeout is {c.get('StopTimeout')!r}, expected 30")
        if not c.get("ReadonlyRootFilesystem"):
            problems.append(f"container {name}: root filesystem is writable")
        command = c.get("Command", [])
        if not command or command[0] != "serve":
            problems.append(f"container {name}: command {command} does not run `jit serve`")
        ops = command[command.index("--ops-address") + 1] if "--ops-address" in command else "127.0.0.1:9090"
        host, _, port = ops.rpartition(":")
        if host not in {"127.0.0.1", "localhost", "[::1]", ""}:
            problems.append(f"container {name}: --ops-address {ops} is not loopback")
        health = " ".join(c.get("HealthCheck", {}).get("Command", []))
        if "/healthz" not in health or f"/{port}" not in health and f":{port}" not in health:
            problems.append(f"container {name}: the health check does not read /healthz on port {port}")
    if svc.get("DesiredCount") != 2:
        problems.append(f"service: DesiredCount {svc.get('DesiredCount')!r}, expected 2")
    lbs = svc.get("LoadBalancers")
    if lbs is not None and (not under_step_up(lbs) or lbs["Fn::If"][1] != [
            {"ContainerName": "jit", "ContainerPort": {"Ref": "StepUpPort"},
             "TargetGroupArn": {"Ref": "StepUpTargetGroup"}}]):
        problems.append(f"service: load balancers other than the step-up target group under ServeStepUp: {lbs}")
    table = load_template(DEPLOY / "dynamodb-table.yaml")
    if ecs["Parameters"]["TableName"].get("Default") != table["Parameters"]["TableName"].get("Default"):
        problems.append("ecs-service.yaml and dynamodb-table.yaml default to different table names")


@check
def table(problems: list[str]) -> None:
    t = load_template(DEPLOY / "dynamodb-table.yaml")
    tables = [r["Properties"] for r in t["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    if len(tables) != 1:
        problems.append("dynamodb-table.yaml: expected one table")
        return
    p = tables[0]
    ttl = p.get("TimeToLiveSpecification", {})
    if ttl.get("AttributeName") != ttl_attribute() or ttl.get("Enabled") is not True:
        problems.append(f"dynamodb-table.yaml: TTL must be enabled on {ttl_attribute()!r} (the code's "
                        f"kTtlAttribute), found {ttl}")
    if p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is not True:
        problems.append("dynamodb-table.yaml: point-in-time recovery is off")
    attrs = {a["AttributeName"]: a["AttributeType"] for a in p.get("AttributeDefinitions", [])}
    keys = {k["KeyType"]: k["AttributeName"] for k in p.get("KeySchema", [])}
    pk, sk = key_attributes()
    if keys != {"HASH": pk, "RANGE": sk}:
        problems.append(f"dynamodb-table.yaml: key {keys}, the code uses {pk} HASH, {sk} RANGE")
    gsis = {g["IndexName"]: g for g in p.get("GlobalSecondaryIndexes", [])}
    for name, ipk, isk in index_specs():
        g = gsis.get(name)
        if not g:
            problems.append(f"dynamodb-table.yaml: missing global secondary index {name} (the code queries it)")
            continue
        gkeys = {k["KeyType"]: k["AttributeName"] for k in g["KeySchema"]}
        if gkeys != {"HASH": ipk, "RANGE": isk}:
            problems.append(f"dynamodb-table.yaml: {name} keys {gkeys}, the code uses {ipk} HASH, {isk} RANGE")
        if g.get("Projection", {}).get("ProjectionType") != "ALL":
            problems.append(f"dynamodb-table.yaml: {name} must project ALL (the store reads whole items)")
    extra = set(gsis) - {n for n, _, _ in index_specs()}
    if extra:
        problems.append(f"dynamodb-table.yaml: indexes the code never queries: {sorted(extra)}")
    for name, typ in attrs.items():
        if typ != "S":
            problems.append(f"dynamodb-table.yaml: attribute {name} is {typ}, the code writes strings")


@check
def dockerfile(problems: list[str]) -> None:
    text = read("deploy/Dockerfile")
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M | re.I)
    if len(froms) < 2 or not froms[0][1]:
        problems.append("Dockerfile: not multi-stage (a named builder stage and a runtime stage)")
    elif "COPY --from=" + froms[0][1] not in text:
        problems.append("Dockerfile: the runtime stage does not copy from the builder")
    if froms and "slim" not in froms[-1][0]:
        problems.append(f"Dockerfile: the runtime stage is {froms[-1][0]}, expected a -slim image")
    if not non_root(dockerfile_user()):
        problems.append(f"Dockerfile: the runtime stage's USER {dockerfile_user()!r} is not a non-root user")
    for option in ("JIT_FAULT_INJECTION", "JIT_BUILD_TESTS"):
        if not re.search(rf"option\(\s*{option}\b", read("CMakeLists.txt")):
            problems.append(f"CMakeLists.txt has no {option} option any more: update the Dockerfile")
    if re.search(r"\blib(gtest|gmock|benchmark)-dev\b", text):
        problems.append("Dockerfile: installs GoogleTest or Google Benchmark, which the image's build does not use")
    for flag in ("-DJIT_FAULT_INJECTION=OFF", "-DJIT_BUILD_TESTS=OFF", "-DCMAKE_BUILD_TYPE=Release"):
        if flag not in text:
            problems.append(f"Dockerfile: the build does not pass {flag}")
    if re.search(r"^EXPOSE\b", text, re.M):
        problems.append("Dockerfile: EXPOSEs a port (the ops port stays internal; Socket Mode needs none)")
    if 'ENTRYPOINT ["/usr/local/bin/jit"]' not in text:
        problems.append('Dockerfile: ENTRYPOINT is not ["/usr/local/bin/jit"]')
    runtime = text.split("\nFROM ")[-1]
    if re.search(r"\blib[\w.+-]*-dev\b", runtime):
        problems.append("Dockerfile: the runtime stage installs -dev packages")
    # Every library the top-level CMakeLists.txt requires of the system: its -dev package in the
    # builder stage, and its shared library in the runtime stage (header-only ones need none).
    builder = text.split("\nFROM ")[1] if "\nFROM " in text else text
    needs = {  # find_package / pkg_check_modules name -> (builder package, runtime package or None)
        "PkgConfig": ("pkg-config", None), "OpenSSL": ("libssl-dev", "libssl3"),
        "SQLite3": ("libsqlite3-dev", "libsqlite3-0"), "nlohmann_json": ("nlohmann-json3-dev", None),
        "fmt": ("libfmt-dev", "libfmt9"), "spdlog": ("libspdlog-dev", "libspdlog1.10"),
        "CLI11": ("libcli11-dev", None), "tomlplusplus": ("libtomlplusplus-dev", "libtomlplusplus3"),
        "pugixml": ("libpugixml-dev", "libpugixml1v5"), "Threads": (None, None),
        "Boost": ("libboost-dev", "libboost-system1.74.0"), "re2": ("libre2-dev", "libre2-9"),
        "libfido2": ("libfido2-dev", "libfido2-1"),
    }
    top = read("CMakeLists.txt").split("if(JIT_BUILD_TESTS)")[0]
    required = re.findall(r"find_package\(\s*(\w+)[^)]*REQUIRED", top)
    required += re.findall(r"pkg_check_modules\(\s*\w+\s+REQUIRED\s+(?:IMPORTED_TARGET\s+)?([\w+-]+)", top)
    for name in required:
        if name not in needs:
            problems.append(f"CMakeLists.txt requires {name}: add its Debian packages to this test and the Dockerfile")
            continue
        dev, lib = needs[name]
        if dev and not re.search(rf"(?<![\w.-]){re.escape(dev)}(?![\w.-])", builder):
            problems.append(f"Dockerfile: the builder stage does not install {dev} (CMakeLists.txt requires {name})")
        if lib and not re.search(rf"(?<![\w.-]){re.escape(lib)}(?![\w.-])", runtime):
            problems.append(f"Dockerfile: the runtime stage does not install {lib} (jit links {name})")


@check
def docs(problems: list[str]) -> None:
    doc_path = ROOT / "docs/operations.md"
    if not doc_path.exists():
        problems.append("docs/operations.md is missing")
        return
    doc = doc_path.read_text()
    kinds = {}
    for path in (ROOT / "src").rglob("*.cc"):
        for kind, name in re.findall(r'\.(counter|gauge|histogram)\(\s*"(jit_\w+)"', path.read_text()):
            kinds[name] = kind
    if not kinds:
        problems.append("src/: no metric registrations found; update this test")
        return
    mentioned = set()
    for name in set(re.findall(r"\bjit_[a-z0-9_]+", doc)):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name in kinds:
            mentioned.add(name)
        elif base in kinds and kinds[base] == "histogram":
            mentioned.add(base)
        elif name not in {"jit_access"}:
            problems.append(f"docs/operations.md names metric {name}, which src/ does not register")
    for name in sorted(set(kinds) - mentioned):
        problems.append(f"docs/operations.md does not describe metric {name} ({kinds[name]})")


@check
def manifest(problems: list[str]) -> None:
    app = yaml.safe_load(read("docs/slack-app-manifest.yaml"))
    settings, features = app.get("settings", {}), app.get("features", {})
    if settings.get("socket_mode_enabled") is not True:
        problems.append("docs/slack-app-manifest.yaml: settings.socket_mode_enabled must be true")
    if settings.get("interactivity", {}).get("is_enabled") is not True:
        problems.append("docs/slack-app-manifest.yaml: settings.interactivity.is_enabled must be true")
    subscribed = set(settings.get("event_subscriptions", {}).get("bot_events", []) or [])
    handled = set(re.findall(r'"(app_home_opened|app_mention|member_joined_channel|app_uninstalled|tokens_revoked)"', read("src/slack/inbound.cc")))
    for event in sorted(handled - subscribed):
        problems.append(f"src/slack/inbound.cc handles the {event} event, which the manifest's bot_events lacks")
    publishes_home = any('"views.publish"' in path.read_text() for path in (ROOT / "src/slack").glob("*.cc"))
    if publishes_home and features.get("app_home", {}).get("home_tab_enabled") is not True:
        problems.append("src/slack publishes a Home tab (views.publish): the manifest needs "
                        "features.app_home.home_tab_enabled: true")


def main() -> int:
    failed = []
    for fn in CHECKS:
        problems: list[str] = []
        try:
            fn(problems)
        except Exception as e:  # a parse error is a failure of that check, not a crash of the test
            problems.append(f"{type(e).__name__}: {e}")
        print(f"{'ok  ' if not problems else 'FAIL'} {fn.__name__}")
        for p in problems:
            print(f"    {p}")
        if problems:
            failed.append(fn.__name__)
    if failed:
        print(f"deploy_test: {len(failed)} of {len(CHECKS)} checks failed: {', '.join(failed)}")
        return 1
    print(f"deploy_test: all {len(CHECKS)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
