"""SageMaker endpoint serving shared registry versions, with encrypted data capture.

Changing a version or a weight must never take the endpoint down: models and endpoint
configurations are named after their content and created before the old ones are destroyed, so
a change plans as a new configuration plus an in-place update of the endpoint (SageMaker then
shifts traffic without downtime). The endpoint's own name never changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from cdktf import DefaultTokenResolver, StringConcat, TerraformResourceLifecycle, Tokenization
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.sagemaker_endpoint import SagemakerEndpoint
from cdktf_cdktf_provider_aws.sagemaker_endpoint_configuration import (
    SagemakerEndpointConfiguration,
    SagemakerEndpointConfigurationDataCaptureConfig,
    SagemakerEndpointConfigurationDataCaptureConfigCaptureContentTypeHeader,
    SagemakerEndpointConfigurationDataCaptureConfigCaptureOptions,
    SagemakerEndpointConfigurationProductionVariants,
)
from cdktf_cdktf_provider_aws.sagemaker_model import SagemakerModel, SagemakerModelPrimaryContainer
from constructs import Construct

from modules.artifact_store import ArtifactStoreRef
from modules.naming import Names
from modules import partition
from modules.policy import Statement, document
from modules.registry_guards import role_policy
from modules.stateful import prevent_destroy

CAPTURE_PREFIX = "data-capture"


@dataclass(frozen=True)
class EndpointVariant:
    name: str
    model_package_arn: str
    version: int
    weight: float
    instance_type: str
    instance_count: int = 1


@dataclass(frozen=True)
class ModelEndpointProps:
    endpoint_name: str
    account_id: str
    region: str
    variants: tuple[EndpointVariant, ...]
    kms_key_arn: str
    capture_bucket: str
    artifacts: ArtifactStoreRef
    capture_percent: int = 100
    log_retention_days: int = 365
    # Shared versions are trusted code from our registry, but they still get no network of their own.
    network_isolation: bool = True

    def __post_init__(self) -> None:
        if not self.variants:
            raise ValueError(f"ModelEndpointProps.variants: endpoint {self.endpoint_name!r} needs at least one variant")
        if len({v.name for v in self.variants}) != len(self.variants):
            raise ValueError(f"ModelEndpointProps.variants: variant names of {self.endpoint_name!r} repeat")
        if not 1 <= self.capture_percent <= 100:
            raise ValueError(f"ModelEndpointProps.capture_percent: {self.capture_percent} not in 1..100")


def content_name(scope: Construct, prefix: str, content: object, max_length: int = 63) -> str:
    """A name that changes exactly when the content does, for create-before-destroy replacements.

    References are hashed as Terraform expressions (`${aws_iam_role.<id>.arn}`), not as token
    placeholders, whose numbers shift whenever a construct is added anywhere earlier in the app.
    """
    resolved = Tokenization.resolve(content, scope=scope, resolver=DefaultTokenResolver(StringConcat()))
    digest = hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()[:8]
    return Names.hashed(prefix, digest, max_length)


class ModelEndpoint(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: ModelEndpointProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.role = self._execution_role(props)
        replace_first = TerraformResourceLifecycle(create_before_destroy=True)
        models = {}
        for variant in props.variants:
            models[variant.name] = SagemakerModel(
                self, f"model-{variant.name}",
                # Everything that forces replacement is in the name, so a replacement never collides.
                name=content_name(self, Names.model(props.endpoint_name, variant.name, variant.version),
                                  [variant.model_package_arn, props.network_isolation, self.role.arn]),
                execution_role_arn=self.role.arn,
                enable_network_isolation=props.network_isolation,
                primary_container=SagemakerModelPrimaryContainer(model_package_name=variant.model_package_arn),
                lifecycle=replace_first,
            )
        capture_uri = f"s3://{props.capture_bucket}/{CAPTURE_PREFIX}/{props.endpoint_name}"
        self.config = SagemakerEndpointConfiguration(
            self, "config",
            name=content_name(self, props.endpoint_name, [
                [v.name, v.model_package_arn, v.weight, v.instance_type, v.instance_count] for v in props.variants
            ] + [props.capture_percent, capture_uri, props.kms_key_arn, "application/json"]),
            kms_key_arn=props.kms_key_arn,
            production_variants=[
                SagemakerEndpointConfigurationProductionVariants(
                    variant_name=v.name, model_name=models[v.name].name, initial_variant_weight=v.weight,
                    instance_type=v.instance_type, initial_instance_count=v.instance_count,
                )
                for v in props.variants
            ],
            data_capture_config=SagemakerEndpointConfigurationDataCaptureConfig(
                enable_capture=True,
                initial_sampling_percentage=props.capture_percent,
                destination_s3_uri=capture_uri,
                kms_key_id=props.kms_key_arn,
                capture_options=[SagemakerEndpointConfigurationDataCaptureConfigCaptureOptions(capture_mode=m)
                                 for m in ("Input", "Output")],
                capture_content_type_header=SagemakerEndpointConfigurationDataCaptureConfigCaptureContentTypeHeader(
                    json_content_types=["application/json"]),
            ),
            lifecycle=replace_first,
        )
        # SageMaker would create the endpoint's log group itself, unencrypted and kept forever; create it
        # first, with the key and the retention (the execution role may not create log groups).
        self.log_group = CloudwatchLogGroup(
            self, "logs", name=Names.endpoint_log_group(props.endpoint_name),
            retention_in_days=props.log_retention_days, kms_key_id=props.kms_key_arn, lifecycle=prevent_destroy())
        self.endpoint = SagemakerEndpoint(self, "endpoint", name=props.endpoint_name, endpoint_config_name=self.config.name,
                                          depends_on=[self.log_group], lifecycle=prevent_destroy())

    def _execution_role(self, props: ModelEndpointProps) -> IamRole:
        here = partition.of(self)
        role = IamRole(
            self, "role", name=Names.model_role(props.endpoint_name),
            assume_role_policy=document([Statement(
                sid="SageMakerAssume", actions=("sts:AssumeRole",), principals={"Service": (here.service_principal("sagemaker"),)},
                conditions={"StringEquals": {"aws:SourceAccount": props.account_id}},
            )]),
        )
        log_group = here.arn("logs", props.region, props.account_id, f"log-group:/aws/sagemaker/Endpoints/{props.endpoint_name}")
        statements = [
            # Data capture is written with the model's execution role.
            Statement(sid="WriteCapture", actions=("s3:PutObject",),
                      resources=(here.s3_arn(f"{props.capture_bucket}/{CAPTURE_PREFIX}/{props.endpoint_name}/*"),)),
            *props.artifacts.grant_read("Artifacts"),
            Statement(sid="EndpointLogs", actions=("logs:CreateLogStream", "logs:PutLogEvents"),
                      resources=(log_group, f"{log_group}:*")),
            Statement(sid="Metrics", actions=("cloudwatch:PutMetricData",), resources=("*",),
                      any_resource_reason="cloudwatch:PutMetricData has no resource-level permission",
                      conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/Endpoints*"]}}),
            Statement(sid="UseEndpointKey", actions=("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
                      resources=(props.kms_key_arn,)),
        ]
        IamRolePolicy(self, "policy", name="least-privilege", role=role.id, policy=role_policy(here, statements))
        return role

    @property
    def arn(self) -> str:
        return self.endpoint.arn
