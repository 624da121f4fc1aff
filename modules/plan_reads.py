"""What the read-only plan role of an account may read: the configuration `terraform plan` refreshes.

A pull request's plan runs code the pull request supplies (its Terraform and the providers' calls),
before anyone has reviewed it. So the role reads configuration and nothing that holds data: each
allowed group below says which of our resource types its refresh reads, and DATA_READS are denied
explicitly, so that a later, wider Allow (an attached ReadOnlyAccess, a wildcard someone adds) still
cannot read an object, a table item, an endpoint's answers, a secret, a log event or a queue message.
tests/synth/test_synth_bootstrap.py keeps RESOURCE_SERVICES complete for the synthesized stacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlgov_config.regions import Partition
from modules.policy import Statement


@dataclass(frozen=True)
class ReadGroup:
    why: str
    actions: tuple[str, ...]


# Prefix patterns ("sagemaker:Describe*") only for services whose matching actions return configuration.
READ_GROUPS: dict[str, ReadGroup] = {
    "apigateway": ReadGroup("REST APIs, resources, methods, stages, deployments, models, validators, account settings "
                            "(API Gateway authorises reads as GET on the resource path)", ("apigateway:GET",)),
    "athena": ReadGroup("the workgroup and its named queries (not query results)",
                        ("athena:GetNamedQuery", "athena:GetWorkGroup", "athena:ListTagsForResource")),
    "cloudtrail": ReadGroup("the trail, its status and event selectors",
                            ("cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors", "cloudtrail:GetInsightSelectors",
                             "cloudtrail:GetTrail", "cloudtrail:GetTrailStatus", "cloudtrail:ListTags")),
    "cloudwatch": ReadGroup("metric alarms (not metric data)", ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource")),
    "dynamodb": ReadGroup("the governance table's settings and resource policy (not its items)",
                          ("dynamodb:DescribeContinuousBackups", "dynamodb:DescribeKinesisStreamingDestination",
                           "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:GetResourcePolicy",
                           "dynamodb:ListTagsOfResource")),
    "ecr": ReadGroup("the model repository, its policy and lifecycle policy (not images)",
                     ("ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource")),
    "events": ReadGroup("buses, bus policies, rules and targets",
                        ("events:DescribeEventBus", "events:DescribeRule", "events:ListTagsForResource", "events:ListTargetsByRule")),
    "glue": ReadGroup("the catalog database and table definitions", ("glue:GetDatabase", "glue:GetTable", "glue:GetTags")),
    "iam": ReadGroup("roles, their inline and attached policies, boundaries",
                     ("iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
                      "iam:ListInstanceProfilesForRole", "iam:ListPolicyVersions", "iam:ListRolePolicies", "iam:ListRoleTags")),
    "kms": ReadGroup("keys, key policies, rotation and aliases (never Decrypt)",
                     ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags")),
    "lambda": ReadGroup("functions' configuration, permissions, event invoke configs and stream mappings",
                        ("lambda:Get*", "lambda:List*")),
    "logs": ReadGroup("log groups and metric filters (not log events)",
                      ("logs:DescribeLogGroups", "logs:DescribeMetricFilters", "logs:ListTagsForResource", "logs:ListTagsLogGroup")),
    "quicksight": ReadGroup("the data source, data sets, dashboard and their permissions",
                            ("quicksight:Describe*", "quicksight:ListTagsForResource")),
    "ram": ReadGroup("resource shares, their associations and permissions", ("ram:Get*", "ram:List*")),
    "s3": ReadGroup("bucket settings (HeadBucket is authorised as ListBucket; keys are names, not data)",
                    ("s3:GetAccelerateConfiguration", "s3:GetBucket*", "s3:GetEncryptionConfiguration",
                     "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket")),
    "sagemaker": ReadGroup("model package groups and their policies, models, endpoint configurations, endpoints, "
                           "MLflow server, monitoring schedules and job definitions",
                           ("sagemaker:Describe*", "sagemaker:GetModelPackageGroupPolicy", "sagemaker:ListTags")),
    "sns": ReadGroup("topics and topic policies", ("sns:GetTopicAttributes", "sns:ListTagsForResource")),
    "sqs": ReadGroup("queues and queue policies (not messages)", ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags")),
}
# Terraform resource type prefix -> the read group its refresh needs (the longest matching prefix wins).
RESOURCE_SERVICES = {
    "aws_api_gateway_": "apigateway", "aws_athena_": "athena", "aws_cloudtrail": "cloudtrail",
    "aws_cloudwatch_metric_alarm": "cloudwatch", "aws_cloudwatch_event_": "events", "aws_cloudwatch_log_": "logs",
    "aws_dynamodb_": "dynamodb", "aws_ecr_": "ecr", "aws_glue_": "glue", "aws_iam_": "iam", "aws_kms_": "kms",
    "aws_lambda_": "lambda", "aws_quicksight_": "quicksight", "aws_ram_": "ram", "aws_s3_": "s3", "aws_sagemaker_": "sagemaker",
    "aws_sns_": "sns", "aws_sqs_": "sqs",
}
# Reads that return data, not configuration. Denied explicitly (see the module docstring).
DATA_READS = (
    "athena:GetQueryResults", "dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:GetRecords", "dynamodb:Query",
    "dynamodb:Scan", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "kms:Decrypt", "logs:FilterLogEvents",
    "logs:GetLogEvents", "logs:GetLogRecord", "logs:StartQuery", "sagemaker:CreatePresignedMlflowTrackingServerUrl",
    "sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync", "sagemaker:InvokeEndpointWithResponseStream",
    "secretsmanager:GetSecretValue", "sqs:ReceiveMessage", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
)
OBJECT_READS = ("s3:GetObject", "s3:GetObjectVersion")


def service_of(resource_type: str) -> str | None:
    matches = [prefix for prefix in RESOURCE_SERVICES if resource_type.startswith(prefix)]
    return RESOURCE_SERVICES[max(matches, key=len)] if matches else None


def plan_read_statements(services: set[str], readable_objects: tuple[str, ...]) -> list[Statement]:
    """The plan role's policy: the read groups of these services, and the data-read Denies.

    readable_objects: ARNs of objects a stack itself writes as configuration (aws_s3_object; the
    provider's refresh sends HeadObject, authorised as s3:GetObject); every other object read is denied.
    """
    unknown = sorted(services - set(READ_GROUPS))
    if unknown:
        raise ValueError(f"plan_read_statements: no read group for {unknown}; add one to READ_GROUPS with its reason")
    statements = [
        Statement(sid=f"Read{s.capitalize()}Configuration", actions=READ_GROUPS[s].actions, resources=("*",),
                  any_resource_reason=f"refresh reads every {s} resource the stack manages: {READ_GROUPS[s].why}")
        for s in sorted(services)
    ]
    if readable_objects:
        statements.append(Statement(sid="ReadConfigurationObjects", actions=("s3:GetObject",), resources=readable_objects))
    statements += [
        Statement(sid="DenyDataReads", effect="Deny", actions=DATA_READS, resources=("*",)),
        Statement(sid="DenyObjectReads", effect="Deny", actions=OBJECT_READS,
                  **({"not_resources": readable_objects} if readable_objects else {"resources": ("*",)})),
    ]
    return statements
