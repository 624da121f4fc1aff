"""The governed decision path: the decision function behind an IAM-authorised API, and the
registration guard on every registry change.

The function's role is the one principal the group resource policy and every other role's policy
leave free to set approval status and lifecycle (modules/registry_guards.py); its name comes from
Names so the group policy can name the role before it exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from constructs import Construct

from mlgov_core.decision import decision_schema
from mlgov_core.settings import STAGE_NAMES_ENV
from modules.alarm_topic import AlarmTopic
from modules.dead_letter_queue import DeadLetterQueue, DeadLetterQueueProps
from modules.event_route import MODEL_PACKAGE_STATE_CHANGE, EventRoute, EventRouteProps
from modules.governance_table import GovernanceTable
from modules.inference_api import ApiGatewayLogging, InferenceApi, InferenceApiProps
from modules.naming import Names
from modules.policy import Statement
from modules.python_function import PythonFunction, PythonFunctionProps, environment_json


@dataclass(frozen=True)
class DecisionPathProps:
    names: Names
    account_id: str
    kms_key_arn: str
    powertools_layer_arn: str
    use_case_by_group: dict[str, str]
    # group -> {"Test": [gate, ...], "Prod": [gate, ...]}, from each use case's config
    gates_by_group: dict[str, dict[str, list[str]]]
    # The roles that may call the decision API (its resource policy): the approvers'.
    invoker_role_arns: tuple[str, ...]
    # Groups shared with prod: a Prod approval writes a release into their release group.
    released_groups: tuple[str, ...] = ()
    # governance.registry_stage_names: the registry stage names registry-sync maps too.
    registry_stage_names: dict[str, str] = field(default_factory=dict)
    log_retention_days: int = 365
    # Decisions are rare and human: a low rate limit costs nobody and slows a runaway script.
    throttling_rate_limit: float = 5
    throttling_burst_limit: int = 10


class DecisionPath(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: DecisionPathProps, *,
                 table: GovernanceTable, alarms: AlarmTopic) -> None:
        super().__init__(scope, construct_id)
        names, region = props.names, props.names.region
        dead_letters = DeadLetterQueue(self, "dlq", DeadLetterQueueProps(
            queue_name=names.dead_letter_queue(names.DECISION_FUNCTION), kms_key_arn=props.kms_key_arn,
            alarm_topic_arn=alarms.arn,
        ))
        function = PythonFunction(self, "function", PythonFunctionProps(
            function_name=names.function(names.DECISION_FUNCTION), source_dir="model_decisions",
            account_id=props.account_id, region=region, kms_key_arn=props.kms_key_arn,
            layers=(props.powertools_layer_arn,), log_retention_days=props.log_retention_days,
            dead_letter_queue_arn=dead_letters.arn, may_decide=True,
            environment={
                "GOVERNANCE_TABLE_NAME": names.governance_table,
                "USE_CASE_BY_GROUP": environment_json(props.use_case_by_group),
                "GATES_BY_GROUP": environment_json(props.gates_by_group),
                STAGE_NAMES_ENV: environment_json(props.registry_stage_names),
                "MODEL_PACKAGE_ARN_PREFIX": names.partition.arn("sagemaker", region, props.account_id, "model-package/"),
                "ALARM_TOPIC_ARN": alarms.arn,
                "RELEASED_GROUPS": environment_json(sorted(props.released_groups)),
                "DECISION_ROLE_ARN": names.decision_function_role_arn,
                "POWERTOOLS_SERVICE_NAME": "model-decisions",
                "LOG_LEVEL": "INFO",
            },
            statements=(
                # The guard watches every group in the registry account, like the registry-sync rule.
                Statement(sid="DecideVersions", actions=("sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"),
                          resources=(names.partition.arn("sagemaker", region, props.account_id, "model-package/*"),)),
                *self._release_statements(props),
                table.grant_read("ReadEvidence"),
                table.grant_decision_claims("ClaimDecisions"),
                alarms.grant_publish("RaiseAlarms"),
            ),
        ))
        EventRoute(self, "registration-guard", EventRouteProps(
            rule_name=names.rule("registration-guard"), target_id="registration-guard",
            description="Every registry change, so the decision function can reject a registration that is not a candidate",
            event_pattern=MODEL_PACKAGE_STATE_CHANGE,
        ), function=function, dead_letters=dead_letters)
        dead_letters.finalize()
        self.api = InferenceApi(self, "api", InferenceApiProps(
            api_name=names.decision_api, kms_key_arn=props.kms_key_arn, path_part="decisions",
            request_schema=decision_schema(), description="Governed approve/reject decisions, IAM (SigV4) authorised",
            invoker_role_arns=props.invoker_role_arns, log_retention_days=props.log_retention_days, throttling_rate_limit=props.throttling_rate_limit,
            throttling_burst_limit=props.throttling_burst_limit,
        ), proxy=function, logging=ApiGatewayLogging(self, "apigateway-logging", props.account_id, region))

    @staticmethod
    def _release_statements(props: DecisionPathProps) -> tuple[Statement, ...]:
        if not props.released_groups:
            return ()
        releases = [props.names.release_group(g) for g in sorted(props.released_groups)]
        return (Statement(sid="ReleaseToProd", actions=("sagemaker:CreateModelPackage",), resources=tuple(
            arn for r in releases for arn in (props.names.group_arn(r), props.names.group_packages_arn(r)))),)

    def grant_decide(self, sid: str) -> Statement:
        """For the approver: invoke POST /decisions (the function decides whether the caller may)."""
        return self.api.grant_invoke(sid)
