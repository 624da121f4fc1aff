"""terraform/bootstrap: what the pipeline needs before any stack can be planned or applied.

In the governance account: the state bucket with its key, GitHub's OIDC provider, the plan role and
one apply role per stack. In every account: the read-only plan role the plan role assumes.

Its own state: the first apply has no bucket to keep it in, so `make bootstrap-apply` keeps it in a
local file until the bucket exists, then moves it into the bucket (`terraform init -migrate-state`)
under <key_prefix>/bootstrap.tfstate, where every later run finds it (scripts/bootstrap_cli.py).
Only people apply it (an administrator with the accounts' Terraform roles); no pipeline role may
write its state (the bucket policy's per-role guards).
"""

from __future__ import annotations

from cdktf import DefaultTokenResolver, S3Backend, StringConcat, TerraformResource, TerraformStack, Tokenization
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from mlgov_config import AccountRole, MlgovConfig
from mlgov_config.models import ACCOUNT_ROLE_TAG
from modules.github_oidc import GithubOidcProvider, branch_subject, environment_subject, pull_request_subject
from modules.naming import Names
from modules.pipeline_role import PipelineRole, PipelineRoleProps
from modules.plan_reads import plan_read_statements, service_of
from modules.policy import Statement
from modules.state_bucket import StateBucket, StateBucketProps

STACK_NAME = "bootstrap"


class BootstrapStack(TerraformStack):
    def __init__(self, scope: Construct, config: MlgovConfig, stacks: list[TerraformStack]) -> None:
        super().__init__(scope, STACK_NAME)
        platform, gitops, backend = config.platform, config.platform.gitops, config.platform.state_backend
        if gitops is None:
            raise ValueError("BootstrapStack: platform.gitops is not set; there is no pipeline to bootstrap")
        self.names = names = Names.from_config(config)
        self.partition = partition = names.partition
        governance = platform.account_id(AccountRole.GOVERNANCE)
        providers = {role: self._provider(config, role, backend.region) for role in AccountRole}
        S3Backend(self, bucket=backend.bucket, key=f"{backend.key_prefix}/{STACK_NAME}.tfstate", region=backend.region)
        self.add_override("terraform.backend.s3.use_lockfile", True)

        plan_role_arn = partition.iam_arn(governance, f"role/{gitops.plan_role_name}")
        apply_role_arns = {s: partition.iam_arn(governance, f"role/{gitops.apply_role_name(s)}") for s in gitops.environments}
        account_plan_role_arns = [partition.iam_arn(platform.account_id(r), f"role/{gitops.account_plan_role_name}") for r in AccountRole]
        state_arn = partition.s3_arn(backend.bucket)

        state = StateBucket(self, "state", StateBucketProps(
            bucket_name=backend.bucket, key_prefix=backend.key_prefix, owner_account=governance, region=backend.region,
            organization_id=platform.organization_id, key_alias=names.state_key_alias,
            access_log_bucket_name=names.state_access_log_bucket(backend.region),
            extra_statements=tuple(_write_guards(state_arn, backend.key_prefix, plan_role_arn, apply_role_arns))))
        github = GithubOidcProvider(self, "github-oidc")

        repo = gitops.repository
        PipelineRole(self, "plan-role", PipelineRoleProps(
            role_name=gitops.plan_role_name,
            description="Plans every stack for pull requests and main: reads state, takes locks, assumes the accounts' read-only plan roles",
            trust=github.trust((pull_request_subject(repo), branch_subject(repo, gitops.main_branch))),
            statements=(*state.grant_plan("State"),
                        Statement(sid="AssumeAccountPlanRoles", actions=("sts:AssumeRole",), resources=tuple(account_plan_role_arns))),
        ))
        for stack, environment in gitops.environments.items():
            terraform_role = partition.iam_arn(platform.account_id(AccountRole(stack)), f"role/{platform.terraform_role_name}")
            PipelineRole(self, f"apply-role-{stack}", PipelineRoleProps(
                role_name=gitops.apply_role_name(stack),
                description=f"Applies the {stack} stack from the {environment} environment: its own state, its account's Terraform role",
                trust=github.trust((environment_subject(repo, environment),)),
                statements=(*state.grant_apply("State", stack),
                            Statement(sid="AssumeTerraformRole", actions=("sts:AssumeRole",), resources=(terraform_role,))),
            ))

        by_name = {s.node.id: s for s in stacks}
        for role in AccountRole:
            stack = by_name[role.value]
            reader = PipelineRole(self, f"account-plan-role-{role.value}", PipelineRoleProps(
                role_name=gitops.account_plan_role_name,
                description=f"Read-only: refreshes the {role.value} stack for a plan; reads no data",
                trust=Statement(sid="PlanRole", actions=("sts:AssumeRole",), principals={"AWS": (plan_role_arn,)}),
                statements=tuple(plan_read_statements(_services(stack), _configuration_objects(stack, partition))),
            ))
            _in_account(reader, providers[role])

    def _provider(self, config: MlgovConfig, role: AccountRole, region: str) -> AwsProvider | None:
        """The governance account's is the default provider; every other account has an alias of its own."""
        platform = config.platform
        account = platform.account_id(role)
        provider = AwsProvider(
            self, f"aws-{role.value}", region=region, allowed_account_ids=[account],
            alias=None if role == AccountRole.GOVERNANCE else role.value,
            assume_role=[AwsProviderAssumeRole(role_arn=self.partition.iam_arn(account, f"role/{platform.terraform_role_name}"),
                                               session_name=f"mlgov-bootstrap-{role.value}")],
            default_tags=[AwsProviderDefaultTags(tags=dict(sorted({**platform.default_tags, ACCOUNT_ROLE_TAG: role.value}.items())))],
        )
        return None if role == AccountRole.GOVERNANCE else provider


def _write_guards(bucket_arn: str, key_prefix: str, plan_role: str, apply_roles: dict[str, str]) -> list[Statement]:
    """Bucket-policy Denies that hold whatever the pipeline roles' own policies are widened to: the plan
    role writes only lock files, each apply role only its own stack's state and lock."""
    states = f"{bucket_arn}/{key_prefix}"
    guards = [Statement(sid="PlanRoleWritesOnlyLocks", effect="Deny", actions=("s3:DeleteObject", "s3:PutObject"),
                        not_resources=(f"{states}/*.tfstate.tflock",), principals={"AWS": ("*",)},
                        conditions={"ArnEquals": {"aws:PrincipalArn": plan_role}})]
    for stack, role in apply_roles.items():
        own = f"{states}/{stack}.tfstate"
        guards.append(Statement(sid=f"ApplyRole{stack.capitalize()}WritesOnlyItsState", effect="Deny",
                                actions=("s3:DeleteObject", "s3:PutObject"), not_resources=(own, f"{own}.tflock"),
                                principals={"AWS": ("*",)}, conditions={"ArnEquals": {"aws:PrincipalArn": role}}))
    return guards


def _services(stack: TerraformStack) -> set[str]:
    types = {c.terraform_resource_type for c in stack.node.find_all() if isinstance(c, TerraformResource)}
    unknown = sorted(t for t in types if service_of(t) is None)
    if unknown:
        raise ValueError(f"BootstrapStack: {stack.node.id} uses {unknown}, which no read group of modules/plan_reads.py covers")
    return {service_of(t) for t in types}


def _configuration_objects(stack: TerraformStack, partition) -> tuple[str, ...]:
    """ARNs of the objects the stack writes itself (aws_s3_object): refresh reads their metadata."""
    def resolved(token: str) -> str:
        return Tokenization.resolve(token, scope=stack, preparing=False, resolver=DefaultTokenResolver(StringConcat()))

    buckets = {resolved(b.id): b.bucket_input for b in stack.node.find_all() if isinstance(b, S3Bucket)}
    return tuple(sorted(partition.s3_arn(f"{buckets[resolved(o.bucket_input)]}/{o.key_input}")
                        for o in stack.node.find_all() if isinstance(o, S3Object)))


def _in_account(construct: Construct, provider: AwsProvider | None) -> None:
    if provider is not None:
        for resource in construct.node.find_all():
            if isinstance(resource, TerraformResource):
                resource.provider = provider
