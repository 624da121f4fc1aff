"""A Python Lambda function with its own role, encrypted log group, X-Ray and bounded concurrency."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
)
from cdktf_cdktf_provider_aws.lambda_function_event_invoke_config import (
    LambdaFunctionEventInvokeConfig,
    LambdaFunctionEventInvokeConfigDestinationConfig,
    LambdaFunctionEventInvokeConfigDestinationConfigOnFailure,
)
from constructs import Construct

from modules.checkov import skip_checks
from modules.lambda_package import build_zip
from modules.naming import Names
from modules import partition
from modules.policy import Statement, document
from modules.registry_guards import role_policy
from modules.stateful import prevent_destroy

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_SRC = REPO_ROOT / "lambda_src"
BUILD_DIR = REPO_ROOT / "build" / "lambda"


@dataclass(frozen=True)
class PythonFunctionProps:
    function_name: str
    # Folder under lambda_src/ holding handler.py; the shared core is always packaged with it.
    source_dir: str
    account_id: str
    region: str
    kms_key_arn: str
    statements: tuple[Statement, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    layers: tuple[str, ...] = ()
    # Module path inside the zip: <source_dir>/handler.py, next to the shared core package.
    handler_function: str = "handler.lambda_handler"
    runtime: str = "python3.11"
    memory_size: int = 256
    timeout_seconds: int = 30
    # Bounded so a burst of registry events cannot exhaust the account's concurrency.
    reserved_concurrency: int = 5
    log_retention_days: int = 365
    # Asynchronous invocations (EventBridge) that still fail after these retries go to the DLQ.
    max_async_retries: int = 2
    max_event_age_seconds: int = 3600
    dead_letter_queue_arn: str | None = None
    # API Gateway calls wait for the answer: errors go back to the caller and there is nothing to
    # dead-letter. Every asynchronous function (events) must have a DLQ.
    invoked_synchronously: bool = False
    # Only the decision function may set approval status or lifecycle; every other role carries the Denies.
    may_decide: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.max_async_retries <= 2:
            raise ValueError(f"PythonFunctionProps.max_async_retries: {self.max_async_retries} not in 0..2 (Lambda's limit)")
        if self.reserved_concurrency < 1:
            raise ValueError(f"PythonFunctionProps.reserved_concurrency: {self.reserved_concurrency} must be >= 1")
        if self.dead_letter_queue_arn is None and not self.invoked_synchronously:
            raise ValueError(f"PythonFunctionProps.dead_letter_queue_arn: {self.function_name} needs a DLQ; failed events must not vanish")


class PythonFunction(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: PythonFunctionProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        zip_path = BUILD_DIR / f"{props.source_dir}.zip"
        code_hash = build_zip(LAMBDA_SRC, props.source_dir, zip_path)
        asset = TerraformAsset(self, "code", path=str(zip_path), type=AssetType.FILE)

        self.log_group = CloudwatchLogGroup(
            self, "logs", name=Names.function_log_group(props.function_name),
            retention_in_days=props.log_retention_days, kms_key_id=props.kms_key_arn,
            lifecycle=prevent_destroy(),
        )
        here = partition.of(self)
        self.role = IamRole(
            self, "role", name=Names.function_role(props.function_name),
            assume_role_policy=document([Statement(
                sid="LambdaAssume", actions=("sts:AssumeRole",), principals={"Service": (here.service_principal("lambda"),)},
                conditions={"StringEquals": {"aws:SourceAccount": props.account_id}},
            )]),
        )
        statements = self._statements()
        # Only the decision function may set approval status or lifecycle (modules/registry_guards.py).
        IamRolePolicy(self, "policy", name="least-privilege", role=self.role.id,
                      policy=document(statements) if props.may_decide else role_policy(here, statements))
        self.function = LambdaFunction(
            self, "function",
            function_name=props.function_name,
            role=self.role.arn,
            handler=f"{props.source_dir}.{props.handler_function}",
            runtime=props.runtime,
            filename=asset.path,
            source_code_hash=code_hash,
            memory_size=props.memory_size,
            timeout=props.timeout_seconds,
            reserved_concurrent_executions=props.reserved_concurrency,
            layers=list(props.layers) or None,
            kms_key_arn=props.kms_key_arn,
            environment=LambdaFunctionEnvironment(variables=dict(sorted(props.environment.items()))),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            logging_config=LambdaFunctionLoggingConfig(log_format="JSON", log_group=self.log_group.name),
            depends_on=[self.log_group],
        )
        skip_checks(self.function, {
            "CKV_AWS_117": "calls only AWS APIs; no private resources to reach, so no VPC (and no NAT cost)",
            "CKV_AWS_272": "code signing needs an AWS Signer profile per account; the zip is deterministic and reviewed in the pull request",
            "CKV_AWS_116": "invoked synchronously by API Gateway: errors return to the caller, nothing to dead-letter"
            if props.invoked_synchronously else
            "asynchronous failures go to the SQS DLQ through the event invoke config (on_failure destination)",
        })
        if props.invoked_synchronously:
            return
        LambdaFunctionEventInvokeConfig(
            self, "async",
            function_name=self.function.function_name,
            maximum_retry_attempts=props.max_async_retries,
            maximum_event_age_in_seconds=props.max_event_age_seconds,
            destination_config=LambdaFunctionEventInvokeConfigDestinationConfig(
                on_failure=LambdaFunctionEventInvokeConfigDestinationConfigOnFailure(destination=props.dead_letter_queue_arn)),
        )

    def _statements(self) -> list[Statement]:
        p = self.props
        log_arn = partition.of(self).arn("logs", p.region, p.account_id, f"log-group:/aws/lambda/{p.function_name}")
        return [
            Statement(sid="WriteLogs", actions=("logs:CreateLogStream", "logs:PutLogEvents"), resources=(f"{log_arn}:*",)),
            Statement(sid="Tracing", actions=("xray:PutTelemetryRecords", "xray:PutTraceSegments"), resources=("*",),
                      any_resource_reason="X-Ray trace submission has no resource-level permission"),
            # One key encrypts the environment, the logs, the DLQ and the table this function writes.
            Statement(sid="UseGovernanceKey", actions=("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"),
                      resources=(p.kms_key_arn,)),
            *([Statement(sid="DeadLetter", actions=("sqs:SendMessage",), resources=(p.dead_letter_queue_arn,))]
              if p.dead_letter_queue_arn else []),
            *p.statements,
        ]

    @property
    def arn(self) -> str:
        return self.function.arn

    @property
    def name(self) -> str:
        return self.function.function_name


def environment_json(value: object) -> str:
    """Environment values are strings; structured ones are sorted JSON so the plan stays stable."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
