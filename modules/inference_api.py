"""An IAM-authorised API: API Gateway REST with SigV4 auth, one POST resource, a Lambda proxy.

Serves the inference API of test and prod (POST /predict, a proxy to the endpoint) and the decision
API of the governance account (POST /decisions, the decision function). The request validator
rejects malformed bodies before they cost a Lambda invocation; the Lambda validates what a JSON
schema cannot (content type, size, target variant, the governance rules).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktf_cdktf_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktf_cdktf_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktf_cdktf_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktf_cdktf_provider_aws.api_gateway_method_settings import ApiGatewayMethodSettings, ApiGatewayMethodSettingsSettings
from cdktf_cdktf_provider_aws.api_gateway_model import ApiGatewayModel
from cdktf_cdktf_provider_aws.api_gateway_request_validator import ApiGatewayRequestValidator
from cdktf_cdktf_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktf_cdktf_provider_aws.api_gateway_rest_api import ApiGatewayRestApi, ApiGatewayRestApiEndpointConfiguration
from cdktf_cdktf_provider_aws.api_gateway_rest_api_policy import ApiGatewayRestApiPolicy
from cdktf_cdktf_provider_aws.api_gateway_stage import ApiGatewayStage, ApiGatewayStageAccessLogSettings
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from modules.checkov import skip_checks
from modules.naming import APIGATEWAY_LOGS_ROLE, INFERENCE_STAGE, Names, execution_log_group
from mlgov_config.regions import partition_of
from modules import partition
from modules.policy import Statement, account_root, document
from modules.registry_guards import role_policy
from modules.python_function import PythonFunction
from modules.stateful import prevent_destroy

# What a prediction request must look like; the proxy checks the rest.
PREDICT_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "PredictRequest",
    "type": "object",
    "required": ["instances"],
    "properties": {"instances": {"type": "array", "minItems": 1, "maxItems": 1000}},
}
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "caller": "$context.identity.userArn",
    "time": "$context.requestTime", "method": "$context.httpMethod", "path": "$context.resourcePath",
    "status": "$context.status", "latencyMs": "$context.responseLatency", "integrationStatus": "$context.integrationStatus",
}


@dataclass(frozen=True)
class InferenceApiProps:
    api_name: str
    kms_key_arn: str
    path_part: str = "predict"
    request_schema: dict[str, Any] = field(default_factory=lambda: PREDICT_SCHEMA)
    description: str = "Model inference, IAM (SigV4) authorised"
    stage_name: str = INFERENCE_STAGE
    # The only roles that may call the API (its resource policy); empty: IAM policies alone decide.
    invoker_role_arns: tuple[str, ...] = ()
    throttling_rate_limit: float = 50
    throttling_burst_limit: int = 100
    log_retention_days: int = 365


class InferenceApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: InferenceApiProps, proxy: PythonFunction,
                 logging: "ApiGatewayLogging") -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.api = ApiGatewayRestApi(
            self, "api", name=props.api_name, description=props.description,
            endpoint_configuration=ApiGatewayRestApiEndpointConfiguration(types=["REGIONAL"]),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        path = props.path_part
        resource = ApiGatewayResource(self, path, rest_api_id=self.api.id, parent_id=self.api.root_resource_id, path_part=path)
        model = ApiGatewayModel(self, f"{path}-model", rest_api_id=self.api.id, name=props.request_schema["title"],
                                content_type="application/json", schema=json.dumps(props.request_schema, sort_keys=True))
        validator = ApiGatewayRequestValidator(self, "validator", rest_api_id=self.api.id, name="body",
                                               validate_request_body=True, validate_request_parameters=False)
        method = ApiGatewayMethod(
            self, "post", rest_api_id=self.api.id, resource_id=resource.id, http_method="POST",
            authorization="AWS_IAM", request_validator_id=validator.id,
            request_models={"application/json": model.name},
        )
        integration = ApiGatewayIntegration(
            self, "integration", rest_api_id=self.api.id, resource_id=resource.id, http_method=method.http_method,
            type="AWS_PROXY", integration_http_method="POST", uri=proxy.function.invoke_arn,
        )
        # A resource policy takes effect with the next deployment: create it first and redeploy on change.
        policy = self._resource_policy(props) if props.invoker_role_arns else None
        # Redeploy exactly when the API definition changes (never a timestamp: plans must stay clean).
        definition = json.dumps([props.request_schema, "POST", f"/{path}", "AWS_IAM", "AWS_PROXY",
                                 *([sorted(props.invoker_role_arns)] if props.invoker_role_arns else [])], sort_keys=True)
        deployment = ApiGatewayDeployment(
            self, "deployment", rest_api_id=self.api.id,
            triggers={"redeployment": hashlib.sha256(definition.encode()).hexdigest()},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            depends_on=[integration, method, *([policy] if policy else [])],
        )
        access_logs = CloudwatchLogGroup(self, "access-logs", name=Names.api_access_log_group(props.api_name),
                                         retention_in_days=props.log_retention_days, kms_key_id=props.kms_key_arn,
                                         lifecycle=prevent_destroy())
        self.stage = ApiGatewayStage(
            self, "stage", rest_api_id=self.api.id, deployment_id=deployment.id, stage_name=props.stage_name,
            xray_tracing_enabled=True,
            access_log_settings=ApiGatewayStageAccessLogSettings(
                destination_arn=access_logs.arn, format=json.dumps(ACCESS_LOG_FORMAT, sort_keys=True)),
            depends_on=[logging.account],
        )
        skip_checks(self.stage, {
            "CKV_AWS_120": "answers depend on the caller's payload and must never be served from a cache",
            "CKV2_AWS_29": "callers are IAM principals signing with SigV4 and the stage is throttled; no anonymous traffic for a WAF to filter",
            "CKV2_AWS_51": "clients authenticate with SigV4, not client certificates",
        })
        # API Gateway would create its execution log group itself, unencrypted and kept forever: create it
        # first, with the key and the retention, so the implicit one never exists.
        execution_logs = CloudwatchLogGroup(
            self, "execution-logs", name=execution_log_group(self.api.id, props.stage_name),
            retention_in_days=props.log_retention_days, kms_key_id=props.kms_key_arn, lifecycle=prevent_destroy())
        settings = ApiGatewayMethodSettings(
            self, "settings", rest_api_id=self.api.id, stage_name=self.stage.stage_name, method_path="*/*",
            depends_on=[execution_logs],
            settings=ApiGatewayMethodSettingsSettings(
                throttling_rate_limit=props.throttling_rate_limit, throttling_burst_limit=props.throttling_burst_limit,
                metrics_enabled=True, logging_level="INFO", data_trace_enabled=False, caching_enabled=False,
            ),
        )
        skip_checks(settings, {"CKV_AWS_225": "answers depend on the caller's payload and must never be served from a cache"})
        LambdaPermission(self, "invoke", statement_id="AllowApiGateway", action="lambda:InvokeFunction",
                         function_name=proxy.name, principal=partition.of(self).service_principal("apigateway"),
                         source_arn=f"{self.api.execution_arn}/*/POST/{path}")

    def _resource_policy(self, props: InferenceApiProps) -> ApiGatewayRestApiPolicy:
        """Invoke only by the named roles: an Allow for them, and a Deny for every other principal, so a
        broad identity policy elsewhere in the account (the deployer, an administrator) cannot call it.
        Role ARNs go into conditions, not principals: the roles may be created after this policy."""
        accounts = sorted({arn.split(":")[4] for arn in props.invoker_role_arns})
        api = f"{self.api.execution_arn}/*"
        return ApiGatewayRestApiPolicy(self, "policy", rest_api_id=self.api.id, policy=document([
            Statement(sid="InvokerRoles", actions=("execute-api:Invoke",), resources=(api,),
                      principals={"AWS": tuple(account_root(partition.of(self), a) for a in accounts)},
                      conditions={"ArnEquals": {"aws:PrincipalArn": sorted(props.invoker_role_arns)}}),
            Statement(sid="DenyOtherPrincipals", effect="Deny", actions=("execute-api:Invoke",), resources=(api,),
                      principals={"AWS": ("*",)},
                      conditions={"ArnNotEquals": {"aws:PrincipalArn": sorted(props.invoker_role_arns)}}),
        ]))

    def grant_invoke(self, sid: str) -> Statement:
        return Statement(sid=sid, actions=("execute-api:Invoke",),
                         resources=(f"{self.api.execution_arn}/{self.props.stage_name}/POST/{self.props.path_part}",))

    @property
    def invoke_url(self) -> str:
        return f"{self.stage.invoke_url}/{self.props.path_part}"


def find_apis(sid: str, region: str) -> Statement:
    """GetRestApis, so a client finds an API by name (its id is random) instead of being configured with it."""
    return Statement(sid=sid, actions=("apigateway:GET",), resources=(partition_of(region).arn("apigateway", region, "", "/restapis"),))


class ApiGatewayLogging(Construct):
    """The account-wide role API Gateway writes execution logs with (one per account, not per API)."""

    def __init__(self, scope: Construct, construct_id: str, account_id: str, region: str) -> None:
        super().__init__(scope, construct_id)
        here = partition.of(self)
        role = IamRole(self, "role", name=APIGATEWAY_LOGS_ROLE, assume_role_policy=document([Statement(
            sid="ApiGatewayAssume", actions=("sts:AssumeRole",), principals={"Service": (here.service_principal("apigateway"),)},
            conditions={"StringEquals": {"aws:SourceAccount": account_id}},
        )]))
        logs = here.arn("logs", region, account_id, "log-group")
        IamRolePolicy(self, "policy", name="execution-logs", role=role.id, policy=role_policy(here, [
            Statement(sid="ExecutionLogs", resources=(f"{logs}:API-Gateway-Execution-Logs_*", f"{logs}:API-Gateway-Execution-Logs_*:*"),
                      actions=("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups",
                               "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:PutRetentionPolicy")),
        ]))
        self.account = ApiGatewayAccount(self, "account", cloudwatch_role_arn=role.arn)
