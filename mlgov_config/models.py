"""Pydantic models of the config files. Every default is written here and is the secure choice."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from mlgov_config.gitops_settings import GitOpsSettings
from mlgov_config.aws_rules import BucketName, EmailAddress, EmailOrNone, LayerArn, RoleArn
from mlgov_config.regions import partition_of
from mlgov_core.rules import SAGEMAKER_NAME_PATTERN, check_stage_names

# Every pattern spells digits [0-9]: \d (Python and pydantic alike) also matches other scripts' digits.
ACCOUNT_ID = r"^[0-9]{12}$"


def _known_region(region: str) -> str:
    partition_of(region)  # a region of a supported partition in botocore's data, or ValueError naming the nearest
    return region


# e.g. eu-west-1, us-gov-west-1, cn-north-1 (mlgov_config/regions.py).
Region = Annotated[str, AfterValidator(_known_region)]


class AccountRole(str, Enum):
    GOVERNANCE = "governance"
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateBackend(Strict):
    bucket: BucketName
    key_prefix: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._/-]+$")
    region: Region


def artifact_bucket_name(prefix: str, governance_account: str, region: str) -> str:
    """The governance account's artifact bucket (S3 names are global: account id and region keep it unique)."""
    return f"{prefix}-artifacts-{governance_account}-{region}"


# Monitoring baselines live here in the artifact bucket: the bucket policy lets only the governance
# account write under it, so no data scientist can move the yardstick prod is measured against.
BASELINE_PREFIX = "baselines/"

# AWS's tag rules: 50 tags per resource, keys 1-128 and values 0-256 of these characters; `aws:` is
# AWS's own prefix and `mlgov:` the stacks' (stacks/account_stack.py, modules/model_registry.py).
MAX_TAG_COUNT = 50
ACCOUNT_ROLE_TAG, USE_CASE_TAG = "mlgov:account-role", "mlgov:use-case"
STACK_TAG_KEYS = (ACCOUNT_ROLE_TAG, USE_CASE_TAG)
MAX_DEFAULT_TAGS = MAX_TAG_COUNT - len(STACK_TAG_KEYS)
RESERVED_TAG_PREFIXES = ("aws:", "mlgov:")
TAG_TEXT = re.compile(r"[A-Za-z0-9 _.:/=+@-]*")


class TrailSettings(Strict):
    """The governance account's CloudTrail trail (modules/audit_trail.py)."""

    # true: the organisation's trail already records this account's management events and the
    # governance table's and buckets' data events (docs/security.md says what it must include), so
    # the stack creates no trail of its own.
    organization_trail: bool = False
    # S3 Object Lock (COMPLIANCE) retention of every log and digest file; cannot be undone.
    retention_days: int = Field(default=365, ge=1, le=36500)


# Athena refuses a per-query data usage control below 10 MB.
ATHENA_MIN_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024
# Partition projection reads dates as yyyy-MM-dd from this day on; earlier days are not projected.
PROJECTION_EARLIEST = date(2000, 1, 1)


class AnalyticsSettings(Strict):
    """The governance dashboard's catalog and query engine (modules/analytics_catalog.py)."""

    # Athena cancels any query of the workgroup that scans more than this (bytes): a runaway
    # dashboard or analyst query costs at most this much.
    bytes_scanned_cutoff_per_query: int = Field(default=1024 * 1024 * 1024, ge=ATHENA_MIN_BYTES_SCANNED_CUTOFF)
    # Query results (and QuickSight's staged downloads) in the results bucket expire after this.
    results_retention_days: int = Field(default=30, ge=1, le=3650)
    # The first dt partition projection knows (history/ and metrics/); make it the platform's first day.
    projection_start_date: date = date(2024, 1, 1)

    @field_validator("projection_start_date")
    @classmethod
    def _projection_start(cls, v: date) -> date:
        if isinstance(v, datetime):
            raise ValueError(f"{v} is a timestamp; give a day (YYYY-MM-DD)")
        if v < PROJECTION_EARLIEST:
            raise ValueError(f"{v} is before {PROJECTION_EARLIEST}")
        # A start after today projects no partition at all: every history query would read nothing.
        if v > datetime.now(timezone.utc).date():
            raise ValueError(f"{v} is in the future; the projection would cover no day")
        return v
# QuickSight's names: namespaces as its API allows them (letters, digits, . _ -; 64), and group names
# kept to the characters an ARN path and a config file carry unquoted (the API allows more).
QUICKSIGHT_NAMESPACE = r"^[A-Za-z0-9._-]{1,64}$"
QUICKSIGHT_GROUP = r"^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,127}$"


class DashboardSettings(Strict):
    """The QuickSight governance dashboard (modules/governance_dashboard.py)."""

    # QuickSight needs the account's subscription (Enterprise edition for groups and APIs), which no
    # Terraform here creates: false leaves every QuickSight resource out until the account has one.
    enabled: bool = True
    namespace: str = Field(default="default", pattern=QUICKSIGHT_NAMESPACE)
    # QuickSight groups (created in QuickSight or synced from the identity provider): compliance
    # officers may view the dashboard and its data; platform admins own them.
    compliance_officer_group: str = Field(default="mlgov-compliance-officers", pattern=QUICKSIGHT_GROUP)
    admin_group: str = Field(default="mlgov-platform-admins", pattern=QUICKSIGHT_GROUP)
    # The IAM role QuickSight's service uses in this account (named in QuickSight's admin settings);
    # the stack grants it the lake, Athena and the key and nothing else. A name, no path.
    service_role_name: str = Field(default="aws-quicksight-service-role-v0", pattern=r"^[\w+=,.@-]{1,64}$")
    # The region where the account's QuickSight users and groups live (chosen at subscription); group
    # ARNs name it, whichever region the dashboard is in. None: the home region.
    identity_region: Region | None = None

    @model_validator(mode="after")
    def _distinct_groups(self) -> "DashboardSettings":
        if self.compliance_officer_group == self.admin_group:
            raise ValueError(f"compliance_officer_group and admin_group are both {self.admin_group!r}; readers must not own "
                             "the dashboard")
        return self


class GovernanceSettings(Strict):
    deletion_protection: bool = True
    log_retention_days: int = Field(default=365, ge=1)
    # S3 Object Lock default retention (COMPLIANCE mode) of every artifact version: until it passes,
    # nobody, not even the governance account's root user, can delete a version or shorten the lock.
    # COMPLIANCE retention cannot be undone: a too-long value costs storage that cannot be freed.
    artifact_retention_days: int = Field(default=365, ge=1, le=36500)
    # S3 Object Lock (COMPLIANCE) retention of every history item archived by history-archive: the
    # audit trail's copy nobody can remove. Like artifact_retention_days, it cannot be undone.
    audit_retention_days: int = Field(default=365, ge=1, le=36500)
    trail: TrailSettings = Field(default_factory=TrailSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    # In home_region: Lambda uses only layers of the function's own region (checked by the loader).
    powertools_layer_arn: LayerArn
    alarm_email: EmailOrNone = ""
    # Registry ModelLifeCycle stage name -> Dev/Test/Prod, on top of mlgov_core.rules.DEFAULT_STAGE_NAMES
    # (names compare ignoring case). registry-sync and `mlgov reconcile` record other stages as Unmapped.
    registry_stage_names: dict[str, str] = Field(default_factory=dict)

    @field_validator("registry_stage_names")
    @classmethod
    def _stage_names(cls, names: dict[str, str]) -> dict[str, str]:
        problems = check_stage_names(names)
        if problems:
            raise ValueError("; ".join(problems))
        return names

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, v: int) -> int:
        allowed = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
        if v not in allowed:
            raise ValueError(f"{v} is not a CloudWatch Logs retention period; use one of {sorted(allowed)}")
        return v


class RoleTrust(Strict):
    """Principals allowed to assume each role the stacks create; role ARNs only, never account roots."""

    data_scientist: list[RoleArn] = Field(min_length=1)
    data_science_lead: list[RoleArn] = Field(min_length=1)
    deployer: list[RoleArn] = Field(min_length=1)
    model_approver: list[RoleArn] = Field(min_length=1)
    compliance_officer: list[RoleArn] = Field(min_length=1)
    # Who runs QA in the test account and reports its metrics (the QA pipeline), and who forwards prod's
    # production metrics: the only principals whose reports become evidence. Never the deployer's
    # principals: whoever deploys a version must not also attest its QA (DESIGN.md section 5).
    qa_publisher: list[RoleArn] = Field(min_length=1)
    metrics_publisher: list[RoleArn] = Field(min_length=1)
    # The governance table's own writers outside Lambda: who runs `mlgov reconcile` (rebuilds the
    # projection from the registry) and `mlgov register-external` (models from outside SageMaker).
    table_reconciler: list[RoleArn] = Field(min_length=1)
    external_registrar: list[RoleArn] = Field(min_length=1)
    # The one role the table's resource policy lets delete items or change the table (PITR, TTL, its
    # policy): keep it to a named, alarmed emergency group (docs/security.md, "Break glass").
    break_glass: list[RoleArn] = Field(min_length=1)

    @model_validator(mode="after")
    def _publishers_are_not_deployers(self) -> "RoleTrust":
        deployers = set(self.deployer)
        for name in ("qa_publisher", "metrics_publisher"):
            shared = sorted(deployers & set(getattr(self, name)))
            if shared:
                raise ValueError(f"role_trust.{name}: {shared} also in role_trust.deployer; the principal that deploys a "
                                 "version must not report the metrics it is judged on")
        return self


class MlflowSettings(Strict):
    """The dev account's SageMaker managed MLflow tracking server."""

    # major.minor only: provider 5.100.0 reads back major.minor and the field forces replacement.
    mlflow_version: str = Field(default="2.16", pattern=r"^[0-9]+\.[0-9]+$")
    tracking_server_size: Literal["Small", "Medium", "Large"] = "Small"
    weekly_maintenance_window_start: str = Field(
        default="Sun:02:00", pattern=r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]$")
    artifact_noncurrent_version_retention_days: int = Field(default=365, ge=1)


class DevSettings(Strict):
    mlflow: MlflowSettings = Field(default_factory=MlflowSettings)


class PlatformConfig(Strict):
    # Grants to the other accounts also require aws:PrincipalOrgID = this id; None: no such condition.
    organization_id: str | None = Field(default=None, pattern=r"^o-[a-z0-9]{10,32}$")
    home_region: Region
    name_prefix: str = Field(pattern=r"^[a-z][a-z0-9-]{1,20}$")
    accounts: dict[AccountRole, str]
    terraform_role_name: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    role_trust: RoleTrust
    default_tags: dict[str, str] = Field(default_factory=dict)
    state_backend: StateBackend
    ram_permissions: dict[AccountRole, list[str]] = Field(default_factory=dict)
    governance: GovernanceSettings
    dev: DevSettings = Field(default_factory=DevSettings)
    # The pull-request pipeline (terraform/bootstrap, .github/workflows); None: no pipeline is generated.
    gitops: GitOpsSettings | None = None

    @model_validator(mode="after")
    def _gitops_in_an_organisation(self) -> "PlatformConfig":
        # The state bucket refuses principals outside the organisation; without its id that Deny has nothing to name.
        if self.gitops is not None and self.organization_id is None:
            raise ValueError("gitops needs organization_id: the state bucket denies every principal outside the organisation")
        return self

    @field_validator("default_tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > MAX_DEFAULT_TAGS:
            raise ValueError(f"{len(tags)} tags; AWS allows {MAX_TAG_COUNT} per resource and the stacks add up to "
                             f"{MAX_TAG_COUNT - MAX_DEFAULT_TAGS} of their own ({', '.join(STACK_TAG_KEYS)})")
        for key, value in tags.items():
            if not TAG_TEXT.fullmatch(key) or not 1 <= len(key) <= 128:
                raise ValueError(f"tag key {key[:70]!r}: 1 to 128 of letters, digits, spaces and _.:/=+-@")
            if key.lower().startswith(RESERVED_TAG_PREFIXES):
                raise ValueError(f"tag key {key[:70]!r}: the prefixes {RESERVED_TAG_PREFIXES} belong to AWS and to the stacks")
            if not TAG_TEXT.fullmatch(value) or len(value) > 256:
                raise ValueError(f"tag {key!r}: value {value[:70]!r} must be at most 256 of letters, digits, spaces and _.:/=+-@")
        return tags

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, accounts: dict[AccountRole, str]) -> dict[AccountRole, str]:
        missing = [r.value for r in AccountRole if r not in accounts]
        if missing:
            raise ValueError(f"missing account role(s) {missing}")
        for role, account_id in accounts.items():
            if not re.fullmatch(ACCOUNT_ID, str(account_id)):  # fullmatch: "$" alone accepts a trailing "\n"
                raise ValueError(f"{role.value}: {account_id!r} is not a 12-digit account id")
        seen: dict[str, str] = {}
        for role, account_id in accounts.items():
            if account_id in seen:
                raise ValueError(f"{role.value} and {seen[account_id]} share account id {account_id!r}; each role needs its own account")
            seen[account_id] = role.value
        return accounts

    @field_validator("ram_permissions")
    @classmethod
    def _permissions(cls, perms: dict[AccountRole, list[str]]) -> dict[AccountRole, list[str]]:
        for role, arns in perms.items():
            if role == AccountRole.GOVERNANCE:
                raise ValueError("governance owns the groups; it cannot be a RAM consumer")
            for arn in arns:
                if not re.fullmatch(r"^arn:aws[a-z-]*:ram::(aws|[0-9]{12}):permission/[A-Za-z0-9_-]+$", arn):
                    raise ValueError(f"{role.value}: {arn!r} is not a RAM permission ARN")
        return perms

    def account_id(self, role: AccountRole) -> str:
        return self.accounts[role]

    def quicksight_identity_region(self) -> str:
        return self.governance.dashboard.identity_region or self.home_region

    def artifact_bucket(self) -> str:
        return artifact_bucket_name(self.name_prefix, self.account_id(AccountRole.GOVERNANCE), self.home_region)

    def baseline_uri_prefix(self) -> str:
        return f"s3://{self.artifact_bucket()}/{BASELINE_PREFIX}"


class ModelPackageGroup(Strict):
    name: str
    description: str = Field(default="", max_length=1024)

    @field_validator("name")
    @classmethod
    def _sagemaker_name(cls, v: str) -> str:
        if not SAGEMAKER_NAME_PATTERN.fullmatch(v):
            raise ValueError(f"{v!r} does not match SageMaker's pattern {SAGEMAKER_NAME_PATTERN.pattern}")
        return v


class Owners(Strict):
    business: EmailAddress
    data_science_lead: EmailAddress
    ml_engineer: EmailAddress


class RiskTier(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


FEATURE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
INSTANCE_TYPE = r"ml\.[a-z0-9]+\.[a-z0-9]+"
S3_URI = r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?"


def _float32_exact(value: float) -> bool:
    # The provider stores variant weights as float32: 0.9 would come back as 0.899999976 and every
    # plan would show a change. Only weights float32 holds exactly stay stable.
    import struct

    return struct.unpack("f", struct.pack("f", value))[0] == value


class TestDeployment(Strict):
    """The version under QA in the test account."""

    version: int = Field(ge=1)
    instance_type: str = Field(default="ml.m5.large", pattern=rf"^{INSTANCE_TYPE}$")
    instance_count: int = Field(default=1, ge=1, le=10)


class ProductionVariant(Strict):
    name: str
    version: int = Field(ge=1)
    # The version's prod release (mlgov_core.release): what prod builds its model from. Its Prod
    # approval creates it; `mlgov promote --to prod` writes the number and `mlgov check` verifies it.
    release: int = Field(ge=1)
    weight: float = Field(gt=0)
    instance_type: str = Field(default="ml.m5.large", pattern=rf"^{INSTANCE_TYPE}$")
    instance_count: int = Field(default=1, ge=1, le=10)

    @field_validator("name")
    @classmethod
    def _variant_name(cls, v: str) -> str:
        if not SAGEMAKER_NAME_PATTERN.fullmatch(v):
            raise ValueError(f"{v!r} does not match SageMaker's pattern {SAGEMAKER_NAME_PATTERN.pattern}")
        return v

    @field_validator("weight")
    @classmethod
    def _stable_weight(cls, v: float) -> float:
        if not _float32_exact(v):
            raise ValueError(f"{v} is not exact in float32 and would drift in every plan; use e.g. 90/10 or 0.75/0.25")
        return v


class ModelMonitoring(Strict):
    """Model Monitor data-quality checks on the captured prod traffic."""

    # Folder holding constraints.json and statistics.json from the baselining job.
    baseline_s3_uri: str = Field(pattern=rf"^{S3_URI}/$")
    # The Model Monitor analyzer image is published per region by AWS; see the SageMaker docs.
    analyzer_image_uri: str = Field(pattern=r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9/_-]+(:[\w.-]+)?$")
    schedule_expression: str = Field(default="cron(0 * ? * * *)", pattern=r"^cron\(.+\)$")
    instance_type: str = Field(default="ml.m5.large", pattern=rf"^{INSTANCE_TYPE}$")
    # Features whose baseline drift raises an alarm (Model Monitor emits one metric per feature).
    drift_alarm_features: list[str] = Field(default_factory=list)

    @field_validator("drift_alarm_features")
    @classmethod
    def _features(cls, features: list[str]) -> list[str]:
        for feature in features:
            if not FEATURE_NAME.fullmatch(feature):
                raise ValueError(f"feature {feature[:70]!r}: 1 to 128 of letters, digits and _.- (it names an alarm)")
        repeated = sorted({f for f in features if features.count(f) > 1})
        if repeated:
            raise ValueError(f"each feature once (one alarm each); repeated: {repeated}")
        return features


class EndpointAlarms(Strict):
    max_5xx_errors_per_5_minutes: int = Field(default=5, ge=1)
    max_p95_model_latency_ms: int = Field(default=500, ge=1)


class ProdDeployment(Strict):
    variants: list[ProductionVariant] = Field(min_length=2)
    data_capture_percent: int = Field(default=100, ge=1, le=100)
    monitoring: ModelMonitoring
    alarms: EndpointAlarms = Field(default_factory=EndpointAlarms)

    @field_validator("variants")
    @classmethod
    def _variants(cls, variants: list[ProductionVariant]) -> list[ProductionVariant]:
        names = [v.name.lower() for v in variants]
        duplicates = sorted({v.name for v in variants if names.count(v.name.lower()) > 1})
        if duplicates:
            raise ValueError(f"variant names must be unique ignoring case (they name SageMaker models); repeated: {duplicates}")
        total = sum(v.weight for v in variants)
        if total not in (1, 100):
            raise ValueError(f"weights sum to {total:g}; use fractions summing to 1 or percentages summing to 100")
        return variants


class Deployments(Strict):
    test: TestDeployment | None = None
    prod: ProdDeployment | None = None

    def by_role(self) -> dict[AccountRole, TestDeployment | ProdDeployment]:
        pairs = ((AccountRole.TEST, self.test), (AccountRole.PROD, self.prod))
        return {role: d for role, d in pairs if d is not None}


class Gates(Strict):
    """QA gates per target stage: metric thresholds on the recorded QA metrics, e.g. 'auc >= 0.75'."""

    test: list[str] = Field(default_factory=list)
    prod: list[str] = Field(default_factory=list)

    @field_validator("test", "prod")
    @classmethod
    def _parse(cls, gates: list[str]) -> list[str]:
        from mlgov_core.gates import Gate

        for gate in gates:
            Gate.parse(gate)
        return gates


# A label the dashboard groups by, so a slug: free text would split one business into several spellings.
LINE_OF_BUSINESS = r"^[a-z][a-z0-9-]{1,62}$"


class UseCaseConfig(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")
    description: str = ""
    model_package_group: ModelPackageGroup
    owners: Owners
    risk_tier: RiskTier
    line_of_business: str = Field(pattern=LINE_OF_BUSINESS)
    shared_with: list[AccountRole] = Field(default_factory=lambda: [AccountRole.DEV])
    # Existence and approval of these versions is checked against the registry by `mlgov check`.
    deployments: Deployments = Field(default_factory=Deployments)
    gates: Gates = Field(default_factory=Gates)

    @field_validator("shared_with")
    @classmethod
    def _consumers(cls, roles: list[AccountRole]) -> list[AccountRole]:
        if AccountRole.GOVERNANCE in roles:
            raise ValueError("'governance' owns the group; list only consumer accounts (dev, test, prod)")
        if len(set(roles)) != len(roles):
            raise ValueError(f"duplicate account roles in {[r.value for r in roles]}")
        return roles


class MlgovConfig(Strict):
    """Everything the app needs: the platform plus the use cases keyed by name."""

    platform: PlatformConfig
    use_cases: dict[str, UseCaseConfig]

    @model_validator(mode="after")
    def _groups_unique(self) -> "MlgovConfig":
        owner: dict[str, str] = {}
        for uc in self.use_cases.values():
            group = uc.model_package_group.name.lower()  # SageMaker's names ignore case
            if group in owner:
                raise ValueError(f"model package group {uc.model_package_group.name!r} (ignoring case) is used by both "
                                 f"{owner[group]!r} and {uc.name!r}")
            owner[group] = uc.name
        return self

    def use_case_by_group(self) -> dict[str, str]:
        return {uc.model_package_group.name: uc.name for uc in self.use_cases.values()}

    def groups_shared_with(self, role: AccountRole) -> tuple[str, ...]:
        """The groups shared with ``role`` (for prod: the groups that have a release group)."""
        return tuple(sorted(uc.model_package_group.name for uc in self.use_cases.values() if role in uc.shared_with))
