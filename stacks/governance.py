"""Governance (shared-services) account: registry, artifact store, governance table, registry sync,
the decision path, the metrics path and the audit archive."""

from __future__ import annotations

from constructs import Construct

from mlgov_config import AccountRole, MlgovConfig
from mlgov_config.regions import partition_of
from mlgov_core import keys, lake
from mlgov_core.settings import STAGE_NAMES_ENV
from mlgov_core.sync import UNMAPPED_LOG_MESSAGE
from modules.alarm_topic import AlarmTopic, AlarmTopicProps
from modules.analytics_catalog import AnalyticsCatalog, AnalyticsCatalogProps, reader_statements
from modules.analytics_lake import AnalyticsLake, AnalyticsLakeProps
from modules.artifact_store import ArtifactStore, ArtifactStoreProps
from modules.audit_trail import AuditTrail, AuditTrailProps
from modules.break_glass_alarm import BreakGlassAlarm, BreakGlassAlarmProps
from modules.dead_letter_queue import DeadLetterQueue, DeadLetterQueueProps
from modules.encryption_key import EncryptionKey, EncryptionKeyProps
from modules.governance_table import GovernanceTable, GovernanceTableProps
from modules.governance_dashboard import GovernanceDashboard, GovernanceDashboardProps
from modules.table_guard import TableGuard, TableGuardProps
from modules.history_archive import HistoryArchive, HistoryArchiveProps
from modules.log_alarm import LogAlarm, LogAlarmProps
from modules.policy import Statement
from modules.iam_role import AccountRoleProps, AssumableRole
from modules.metrics_bus import MetricsBus, MetricsBusProps, publisher_role_arn
from modules.model_registry import ModelRegistry, ModelRegistryProps, SharedGroup
from modules.python_function import PythonFunction, PythonFunctionProps, environment_json
from modules.event_route import MODEL_PACKAGE_STATE_CHANGE, EventRoute, EventRouteProps
from modules.decision_path import DecisionPath, DecisionPathProps
from modules.inference_api import find_apis
from mlgov_core.release import release_group
from modules.naming import Names
from stacks.account_stack import AccountStack

CONSUMERS = (AccountRole.DEV, AccountRole.TEST, AccountRole.PROD)
# The functions whose roles the table's resource policy lets write items (names as Names.function).
TABLE_WRITER_FUNCTIONS = ("registry-sync", "metrics-ingest", Names.DECISION_FUNCTION)


class GovernanceStack(AccountStack):
    role = AccountRole.GOVERNANCE

    def __init__(self, scope: Construct, config: MlgovConfig) -> None:
        super().__init__(scope, config)
        platform, names, settings = config.platform, self.names, config.platform.governance
        region = platform.home_region

        self.key = EncryptionKey(self, "governance-key", EncryptionKeyProps(
            alias=names.governance_key_alias,
            description="mlgov governance data: table, dead letters, logs, alarms, function environment",
            owner_account=self.account_id, region=region,
            service_users=(names.partition.service_principal("logs", region), *map(names.partition.service_principal, ("events", "cloudwatch"))),
        ))
        ModelRegistry(self, "registry", ModelRegistryProps(
            names=names,
            groups=tuple(
                SharedGroup(
                    name=uc.model_package_group.name, description=uc.model_package_group.description, use_case=uc.name,
                    consumers={role: platform.account_id(role) for role in uc.shared_with},
                )
                for uc in config.use_cases.values()
            ),
            ram_permissions=dict(platform.ram_permissions),
            decider_role_arn=names.decision_function_role_arn,
        ))
        ArtifactStore(self, "artifacts", ArtifactStoreProps(
            names=names,
            writer_accounts=(platform.account_id(AccountRole.DEV),),
            reader_accounts=(platform.account_id(AccountRole.TEST), platform.account_id(AccountRole.PROD)),
            artifact_retention_days=settings.artifact_retention_days, organization_id=platform.organization_id,
        ))
        table = GovernanceTable(self, "governance-table", GovernanceTableProps(
            table_name=names.governance_table, kms_key_arn=self.key.arn, deletion_protection=settings.deletion_protection,
        ))
        alarms = AlarmTopic(self, "alarms", AlarmTopicProps(
            topic_name=names.alarm_topic(AccountRole.GOVERNANCE), account_id=self.account_id,
            kms_key_arn=self.key.arn, email=settings.alarm_email,
        ))
        dead_letters = DeadLetterQueue(self, "registry-sync-dlq", DeadLetterQueueProps(
            queue_name=names.dead_letter_queue("registry-sync"), kms_key_arn=self.key.arn, alarm_topic_arn=alarms.arn,
        ))
        sync = PythonFunction(self, "registry-sync", PythonFunctionProps(
            function_name=names.function("registry-sync"), source_dir="registry_sync",
            account_id=self.account_id, region=region, kms_key_arn=self.key.arn,
            layers=(settings.powertools_layer_arn,), log_retention_days=settings.log_retention_days,
            dead_letter_queue_arn=dead_letters.arn,
            environment={
                "GOVERNANCE_TABLE_NAME": names.governance_table,
                "USE_CASE_BY_GROUP": environment_json(config.use_case_by_group()),
                "DECISION_ROLE_ARN": names.decision_function_role_arn,
                STAGE_NAMES_ENV: environment_json(settings.registry_stage_names),
                "POWERTOOLS_SERVICE_NAME": "registry-sync",
                "LOG_LEVEL": "INFO",
            },
            statements=(
                # Every group in the registry account (an unassigned group is recorded too).
                table.grant_write("WriteGovernanceTable", partitions=(f"{keys.VERSION_PK_PREFIX}*",)),
                _describe_packages(self.account_id, region),
            ),
        ))
        # No filter on group names but our release groups: a group created outside onboarding is recorded
        # as "unassigned" instead of escaping review. A prod release is recorded on its source version
        # (the Prod approval names it), and the registration guard watches release groups.
        EventRoute(self, "registry-events", EventRouteProps(
            rule_name=names.rule("registry-changes"), target_id="registry-sync",
            description="Every SageMaker model package state change in the registry account",
            event_pattern=_without_release_groups(config),
        ), function=sync, dead_letters=dead_letters)
        dead_letters.finalize()
        LogAlarm(self, "unmapped-stage-alarm", LogAlarmProps(
            alarm_name=names.unmapped_stage_alarm, log_group_name=sync.log_group.name,
            description="registry-sync recorded a version whose ModelLifeCycle is outside the stage mapping "
                        "(governance.registry_stage_names); map the stage or fix the version in the registry",
            metric_name="RegistryStageUnmapped", message=UNMAPPED_LOG_MESSAGE, alarm_topic_arn=alarms.arn,
        ))
        self._metrics_path(table, alarms)
        approver_role = names.role("model-approver")
        decisions = DecisionPath(self, "decisions", DecisionPathProps(
            names=names, account_id=self.account_id, kms_key_arn=self.key.arn,
            powertools_layer_arn=settings.powertools_layer_arn, log_retention_days=settings.log_retention_days,
            use_case_by_group=config.use_case_by_group(),
            gates_by_group={uc.model_package_group.name: {"Test": list(uc.gates.test), "Prod": list(uc.gates.prod)}
                            for uc in config.use_cases.values()},
            invoker_role_arns=(self.partition.iam_arn(self.account_id, f"role/{approver_role}"),),
            released_groups=config.groups_shared_with(AccountRole.PROD),
            registry_stage_names=dict(settings.registry_stage_names),
        ), table=table, alarms=alarms)
        self._governance_roles(table, decisions, approver_role)
        self._audit_archive(table, alarms)
        self._audit_trail()
        self._analytics(table, alarms)
        trust = platform.role_trust
        TableGuard(self, "table-guard", TableGuardProps(
            names=names, groups=tuple(uc.model_package_group.name for uc in config.use_cases.values()),
            function_writer_role_arns=tuple(names.function_role_arn(f) for f in TABLE_WRITER_FUNCTIONS),
            reconciler_trust=tuple(trust.table_reconciler), external_registrar_trust=tuple(trust.external_registrar),
            break_glass_trust=tuple(trust.break_glass),
        ), table=table)
        BreakGlassAlarm(self, "break-glass-alarm", BreakGlassAlarmProps(
            rule_name=names.rule("break-glass-used"), role_arn=names.role_arn(names.table_break_glass_role),
        ), alarms=alarms)
        # Last: the boundary finds every role created above.
        self.bound_roles(decider_role_name=names.decision_function_role_arn.rsplit("/", 1)[-1])

    def _governance_roles(self, table: GovernanceTable, decisions: DecisionPath, approver_role: str) -> None:
        """Approvers decide through the decision API; compliance officers read everything, change nothing."""
        platform, names = self.config.platform, self.names
        groups = [uc.model_package_group.name for uc in self.config.use_cases.values()]
        packages = tuple(names.group_packages_arn(g) for g in groups)
        registry_read = Statement(sid="ReadRegistry", actions=(
            "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"),
            resources=tuple(names.group_arn(g) for g in groups) + packages)
        AssumableRole(self, "model-approver", AccountRoleProps(
            role_name=approver_role, trusted_principals=tuple(platform.role_trust.model_approver),
            description="Approves or rejects model versions for Test and Prod in the central registry",
            statements=(registry_read, table.grant_read("ReadGovernanceTable"), decisions.grant_decide("MakeDecisions"),
                        find_apis("FindDecisionApi", platform.home_region)),
        ))
        # `mlgov check` and `promote` (which read as this role) compare prod's release with its version.
        releases = tuple(names.group_packages_arn(release_group(g)) for g in sorted(self.config.groups_shared_with(AccountRole.PROD)))
        release_read = (Statement(sid="ReadReleases", actions=("sagemaker:DescribeModelPackage",), resources=releases),) if releases else ()
        AssumableRole(self, "compliance-officer", AccountRoleProps(
            role_name=names.compliance_officer_role,
            trusted_principals=tuple(platform.role_trust.compliance_officer),
            description="Reviews the registry and the governance table; read-only",
            statements=(registry_read, *release_read, table.grant_read("ReadGovernanceTable"),
                        # The governance dashboard's data, queried through the Athena workgroup only.
                        *reader_statements(names, (self.key.arn,))),
        ))

    def _metrics_path(self, table: GovernanceTable, alarms: AlarmTopic) -> None:
        """Test and prod report QA and production metrics; the ingest Lambda records them."""
        platform, names, settings = self.config.platform, self.names, self.config.platform.governance
        test, prod = platform.account_id(AccountRole.TEST), platform.account_id(AccountRole.PROD)
        # Only each account's metrics-publisher role may report: never the deployer or another principal.
        bus = MetricsBus(self, "metrics-bus", MetricsBusProps(
            bus_name=names.metrics_bus, sender_accounts=(test, prod),
            sender_role_arns=tuple(publisher_role_arn(names.partition, a, platform.name_prefix) for a in (test, prod)),
            organization_id=platform.organization_id))
        dead_letters = DeadLetterQueue(self, "metrics-ingest-dlq", DeadLetterQueueProps(
            queue_name=names.dead_letter_queue("metrics-ingest"), kms_key_arn=self.key.arn, alarm_topic_arn=alarms.arn,
        ))
        ingest = PythonFunction(self, "metrics-ingest", PythonFunctionProps(
            function_name=names.function("metrics-ingest"), source_dir="metrics_ingest",
            account_id=self.account_id, region=platform.home_region, kms_key_arn=self.key.arn,
            layers=(settings.powertools_layer_arn,), log_retention_days=settings.log_retention_days,
            dead_letter_queue_arn=dead_letters.arn,
            environment={
                "GOVERNANCE_TABLE_NAME": names.governance_table,
                "USE_CASE_BY_GROUP": environment_json(self.config.use_case_by_group()),
                "TEST_ACCOUNT_ID": test,
                "PROD_ACCOUNT_ID": prod,
                "POWERTOOLS_SERVICE_NAME": "metrics-ingest",
                "LOG_LEVEL": "INFO",
            },
            statements=(
                table.grant_write("WriteGovernanceTable", partitions=(f"{keys.VERSION_PK_PREFIX}*",)),
                # A redelivered QA report checks it is still the latest item (metrics_sync.is_latest_in_table).
                Statement(sid="ReadLatestMetrics", actions=("dynamodb:GetItem",), resources=(table.table.arn,)),
                # A copy of the QA metrics for people browsing the registry; the python_function's
                # registry_guards.no_decisions Denies keep approval status and lifecycle out of its reach.
                Statement(sid="RecordQaMetricsInRegistry", actions=("sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"),
                          resources=tuple(names.group_packages_arn(uc.model_package_group.name)
                                          for uc in self.config.use_cases.values())),
            ),
        ))
        EventRoute(self, "metrics-events", EventRouteProps(
            rule_name=names.rule("metrics-reports"), target_id="metrics-ingest",
            description="QA and production metrics from the test and prod accounts",
            event_pattern=bus.event_pattern(), event_bus_name=bus.bus.name,
        ), function=ingest, dead_letters=dead_letters)
        dead_letters.finalize()

    # ---------------------------------------------------------------- audit archive (history-archive)

    def _audit_archive(self, table: GovernanceTable, alarms: AlarmTopic) -> None:
        """Every history item, from the table's stream into an S3 Object Lock (COMPLIANCE) archive."""
        platform, names, settings = self.config.platform, self.names, self.config.platform.governance
        # The artifact store's access-log bucket takes this bucket's server access logs too.
        access_logs = self.node.find_child("artifacts").access_logs
        HistoryArchive(self, "history-archive", HistoryArchiveProps(
            bucket_name=names.audit_archive_bucket, function_name=names.function("history-archive"),
            account_id=self.account_id, region=platform.home_region, kms_key_arn=self.key.arn,
            access_log_target=access_logs, dead_letter_queue_name=names.dead_letter_queue("history-archive"),
            powertools_layer_arn=settings.powertools_layer_arn, retention_days=settings.audit_retention_days,
            alarm_topic_arn=alarms.arn, log_retention_days=settings.log_retention_days,
        ), table=table)

    def _analytics(self, table: GovernanceTable, alarms: AlarmTopic) -> None:
        """The governance dashboard's data: the lake (from the table's stream), its catalog and QuickSight."""
        platform, names, settings = self.config.platform, self.names, self.config.platform.governance
        self.lake = AnalyticsLake(self, "analytics-lake", AnalyticsLakeProps(
            bucket_name=names.analytics_lake_bucket, function_name=names.function("lake-projection"),
            account_id=self.account_id, region=platform.home_region, kms_key_arn=self.key.arn,
            access_log_target=self.node.find_child("artifacts").access_logs,
            dead_letter_queue_name=names.dead_letter_queue("lake-projection"),
            powertools_layer_arn=settings.powertools_layer_arn, alarm_topic_arn=alarms.arn,
            log_retention_days=settings.log_retention_days,
            config_objects=tuple(sorted(lake.config_objects(self.config).items())),
            # `mlgov analytics backfill` runs as the operator, Terraform's role (README, CLI personas).
            backfill_role_arns=(self.partition.iam_arn(self.account_id, f"role/{platform.terraform_role_name}"),),
        ), table=table)
        self.analytics_catalog = AnalyticsCatalog(self, "analytics-catalog", AnalyticsCatalogProps(
            names=self.names, account_id=self.account_id, region=self.config.platform.home_region, kms_key_arn=self.key.arn,
            access_log_target=self.node.find_child("artifacts").access_logs,
            bytes_scanned_cutoff_per_query=settings.analytics.bytes_scanned_cutoff_per_query,
            results_retention_days=settings.analytics.results_retention_days,
            projection_start_date=settings.analytics.projection_start_date,
        ))
        dashboard = settings.dashboard
        if dashboard.enabled:  # off until the account has a QuickSight subscription (config/platform.yaml)
            GovernanceDashboard(self, "governance-dashboard", GovernanceDashboardProps(
                names=names, account_id=self.account_id, region=platform.home_region, kms_key_arn=self.key.arn,
                compliance_officer_group=dashboard.compliance_officer_group, admin_group=dashboard.admin_group,
                service_role_name=dashboard.service_role_name, identity_region=platform.quicksight_identity_region(),
                namespace=dashboard.namespace,
            ))

    def _audit_trail(self) -> None:
        """Who did what in this account: management events and the table's and buckets' data events."""
        platform, names, settings = self.config.platform, self.names, self.config.platform.governance
        if settings.trail.organization_trail:  # the organisation's trail records them (docs/security.md)
            return
        AuditTrail(self, "audit-trail", AuditTrailProps(
            trail_name=names.trail, bucket_name=names.audit_trail_bucket,
            key_alias=names.trail_key_alias, account_id=self.account_id,
            region=platform.home_region, access_log_target=self.node.find_child("artifacts").access_logs,
            table_arns=(self.partition.arn("dynamodb", platform.home_region, self.account_id, f"table/{names.governance_table}"),),
            bucket_arns=(names.artifact_bucket_arn(), self.partition.s3_arn(names.audit_archive_bucket)),
            retention_days=settings.trail.retention_days, log_retention_days=settings.log_retention_days,
        ))


def _without_release_groups(config: MlgovConfig) -> dict:
    releases = sorted(release_group(g) for g in config.groups_shared_with(AccountRole.PROD))
    if not releases:
        return MODEL_PACKAGE_STATE_CHANGE
    return {**MODEL_PACKAGE_STATE_CHANGE, "detail": {"ModelPackageGroupName": [{"anything-but": releases}]}}


def _describe_packages(account_id: str, region: str) -> Statement:
    # Every group in the registry account, matching the unfiltered event rule.
    return Statement(sid="DescribeModelPackages", actions=("sagemaker:DescribeModelPackage",),
                     resources=(partition_of(region).arn("sagemaker", region, account_id, "model-package/*"),))
